"""collectstatic --publish: a stage built earlier, uploaded as a deploy of its sources is."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management.base import CommandError
from whitenoise.compress import Compressor

from collectsync.files import Entry
from collectsync.index.sync_index import SyncIndex
from collectsync.remote import dispatch as remote
from collectsync.stage import sources as sources_module
from collectsync.stage_dir.directory import RECORD_NAME
from scripts.faults.proxy import Action
from tests.support.emulated import EMULATORS
from tests.support.project import (
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    WHITENOISE,
    Project,
    RequestLog,
    remote_tree,
    run_command,
    stock_whitenoise_tree,
    without_time,
)
from tests.support.proxy import through_proxy

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

ELSEWHERE = "deployed"
"""Where, in the same bucket, the tests deploy from the sources to compare."""


@pytest.fixture
def stage(tmp_path: Path) -> Path:
    path = tmp_path / "stage"
    path.mkdir()
    return path


def build(stage: Path) -> None:
    run_command("--noinput", "--stage-only", str(stage))


def published(project: Project) -> dict[str, bytes]:
    """What the bucket holds under LOCATION, but the sync index."""
    return {
        name: data
        for name, data in remote_tree(project).items()
        if not name.startswith(f"{ELSEWHERE}/")
    }


def deployed_elsewhere(
    project: Project, request_log: RequestLog
) -> tuple[dict[str, bytes], set[str]]:
    """Deploy from the sources to ELSEWHERE: what is there after (but the sync index and the
    release archive), and what was uploaded."""
    request_log.clear()
    project.storage_options(location=ELSEWHERE)
    try:
        run_command("--noinput")
    finally:
        project.storage_options()
    prefix = f"{ELSEWHERE}/"
    tree = {
        key.removeprefix(prefix): project.read(key)
        for key in project.object_keys()
        if key.startswith(prefix) and not key.startswith(f"{prefix}.collectsync-index.json")
    }
    return tree, {key.removeprefix(prefix) for key in request_log.keys("PUT")}


def test_publish_writes_what_a_deploy_of_the_same_sources_writes(
    project: Project,
    settings: SettingsWrapper,
    stage: Path,
    tmp_path: Path,
    request_log: RequestLog,
) -> None:
    build(stage)
    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    deployed = deployed_elsewhere(project, request_log)[0]
    # Published without the sources, the finders or compression: what a release image has.
    sources = shutil.move(project.source, tmp_path / "sources-elsewhere")
    with pytest.MonkeyPatch.context() as patch:
        for where, name in [(sources_module, "get_finders"), (Compressor, "compress")]:
            patch.setattr(where, name, lambda *_, n=name, **__: pytest.fail(f"{n}() called"))

        out, err = run_command("--noinput", "--publish", str(stage))

    assert published(project) == expected == deployed
    assert err == ""
    assert without_time(out) == (
        f"\n{len(expected)} static files in the stage '{stage}'; {len(expected)} uploaded "
        f"to 's3://{project.bucket}/static' ({sum(map(len, expected.values())) / 1024:.1f} KB),"
        " 0 unchanged, in Xs.\n"
    )
    # The record is the one a deploy from the sources writes: that deploy finds nothing to do.
    shutil.move(sources, project.source)
    request_log.clear()
    out, _ = run_command("--noinput")
    assert request_log.requests == [("GET", project.bucket, INDEX_KEY)]
    assert "Nothing changed since the last deploy" in out


def test_publishing_again_with_nothing_changed_is_one_request(
    project: Project, stage: Path, request_log: RequestLog
) -> None:
    build(stage)
    run_command("--noinput", "--publish", str(stage))
    request_log.clear()

    out, _ = run_command("--noinput", "--publish", str(stage))

    assert request_log.requests == [("GET", project.bucket, INDEX_KEY)]
    assert without_time(out) == (
        f"\nNothing changed since the last deploy to 's3://{project.bucket}/static': the "
        f"stage in '{stage}' has its fingerprint, so nothing was uploaded, in Xs.\n"
    )


def test_publishing_an_edit_uploads_what_a_deploy_of_it_uploads(
    project: Project,
    settings: SettingsWrapper,
    stage: Path,
    tmp_path: Path,
    request_log: RequestLog,
) -> None:
    build(stage)
    run_command("--noinput", "--publish", str(stage))
    deployed_elsewhere(project, request_log)
    (project.source / "img" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"edited" * 100)
    build(stage)
    request_log.clear()

    out, _ = run_command("--noinput", "--publish", str(stage))

    uploads = {key.removeprefix(f"{LOCATION}/") for key in request_log.keys("PUT")}
    files = len(list((stage / "files").rglob("*.*")))
    content = len(uploads) - 1  # all but the index
    summary = re.fullmatch(
        rf"\n{files} static files in the stage '{re.escape(str(stage))}'; {content} uploaded "
        rf"to 's3://{project.bucket}/static' \([\d.]+ KB\), {files - content} unchanged, "
        r"in Xs\.\n",
        without_time(out),
    )
    assert summary, out
    tree, uploaded = deployed_elsewhere(project, request_log)
    # Both keep the first release's files too, until --prune.
    assert published(project) == tree
    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert {name: tree[name] for name in expected} == expected
    assert uploads - {".collectsync-index.json"} == uploaded - {".collectsync-index.json"}
    assert "staticfiles.json" in uploads


def damage_a_file(stage: Path) -> str:
    """Alter, at the same size, a file the edit changed: one the publish uploads."""
    path = stage / "files" / "css" / "theme.css"
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    return "css/theme.css"


def lose_a_file(stage: Path) -> str:
    path = stage / "files" / "js" / "app.js"
    path.unlink()
    return "js/app.js"


def edit_the_record(stage: Path, **fields: object) -> None:
    record = json.loads((stage / RECORD_NAME).read_bytes())
    (stage / RECORD_NAME).write_text(json.dumps({**record, **fields}))


@pytest.mark.parametrize(
    ("spoil", "sentence"),
    [
        (
            damage_a_file,
            "The stage in '{stage}' is not complete: '{name}' does not match its build "
            "record (its bytes are not those the build staged); build the stage again with "
            "collectstatic --stage-only. Nothing was uploaded.",
        ),
        (
            lose_a_file,
            "The stage in '{stage}' is not complete: '{name}' does not match its build "
            "record (it is missing); build the stage again with collectstatic --stage-only. "
            "Nothing was uploaded.",
        ),
        (
            lambda stage: (stage / RECORD_NAME).unlink(),
            "'{stage}' holds no complete stage: it has no collectsync-stage.json, which "
            "collectstatic --stage-only writes last; build the stage (again) and publish that. "
            "Nothing was uploaded.",
        ),
        (
            lambda stage: edit_the_record(stage, version=99, collectsync="9.0"),
            "The stage '{stage}' was built by collectsync 9.0, whose build record this "
            "collectsync (0.1.0) can't read; build it again with this version.",
        ),
    ],
)
def test_a_stage_that_is_not_complete_is_refused_and_nothing_switched(
    project: Project,
    stage: Path,
    spoil: Callable[[Path], str | None],
    sentence: str,
    request_log: RequestLog,
) -> None:
    build(stage)
    run_command("--noinput", "--publish", str(stage))
    before = {key: project.read(key) for key in (MANIFEST_KEY, INDEX_KEY)}
    (project.source / "css" / "theme.css").write_text("/* theme, edited */")
    build(stage)
    name = spoil(stage)
    request_log.clear()

    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--publish", str(stage))

    assert str(refused.value) == sentence.format(stage=stage, name=name)
    assert request_log.keys("PUT") == set()
    assert {key: project.read(key) for key in before} == before


def test_a_stage_built_with_other_settings_is_refused(
    project: Project, settings: SettingsWrapper, stage: Path, request_log: RequestLog
) -> None:
    build(stage)
    settings.STATIC_URL = "https://cdn.example.com/static/"
    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--publish", str(stage))
    assert str(refused.value) == (
        f"The stage in '{stage}' was built with STATIC_URL = '/static/', but here it is "
        "'https://cdn.example.com/static/'; build the stage with the settings and options it "
        "is published with. Nothing was uploaded."
    )

    settings.STATIC_URL = "/static/"
    settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = True
    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--publish", str(stage))
    assert str(refused.value) == (
        f"The stage in '{stage}' was built with WHITENOISE_KEEP_ONLY_HASHED_FILES = unset, "
        "but here it is True; build the stage with the settings and options it is published "
        "with. Nothing was uploaded."
    )

    del settings.WHITENOISE_KEEP_ONLY_HASHED_FILES
    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--publish", str(stage), "--no-post-process")
    assert str(refused.value) == (
        f"The stage in '{stage}' was built with post-processing = on, but here it is off; "
        "build the stage with the settings and options it is published with. Nothing was "
        "uploaded."
    )
    # The index is read while the stage is checked; nothing more.
    assert {method for method, _, _ in request_log.requests} <= {"GET"}
    assert project.object_keys() == set()


def test_a_missing_stage_directory_is_one_sentence(project: Project, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--publish", str(tmp_path / "nowhere"))
    assert str(refused.value) == (
        f"The stage directory '{tmp_path / 'nowhere'}' does not exist; create it "
        f"(mkdir -p {tmp_path / 'nowhere'}) and rerun."
    )


def test_dry_run_and_json_report(project: Project, stage: Path, tmp_path: Path) -> None:
    build(stage)
    report = tmp_path / "report.json"

    out, _ = run_command(
        "--noinput", "--publish", str(stage), "--dry-run", "--json-report", str(report)
    )

    assert project.object_keys() == set()
    assert out.endswith("Nothing was written (--dry-run).\n")
    written = json.loads(report.read_text())
    staged = len(list((stage / "files").rglob("*.*")))
    assert (written["stage"], written["source_files"], written["staged_files"]) == (
        str(stage),
        6,
        staged,
    )
    assert (written["planned_uploads"], written["uploaded_files"]) == (staged, 0)


def test_a_concurrent_publisher_is_merged_not_overwritten(project: Project, stage: Path) -> None:
    build(stage)
    theirs = SyncIndex({"theirs.css": Entry("1" * 32, 2)}, release_number=1)

    def another_publisher_writes_its_index(method: str, key: str, attempt: int) -> Action:
        if method == "PUT" and key.endswith("theme.css") and attempt == 1:
            project.s3.put_object(Bucket=project.bucket, Key=INDEX_KEY, Body=theirs.to_bytes())
        return "pass"

    with through_proxy(project, another_publisher_writes_its_index):
        _, err = run_command("--noinput", "--publish", str(stage))

    assert "Another deploy updated the sync index in" in err
    written = SyncIndex.from_bytes(project.read(INDEX_KEY))
    assert {"theirs.css", "css/theme.css"} <= set(written.files)
    assert written.release_number == 2


@pytest.mark.parametrize(
    ("emulator", "generic"),
    [*((name, False) for name in EMULATORS), ("azure", True)],
    ids=[*EMULATORS, "any-other-django-storage"],
)
def test_publish_to_each_emulated_storage(
    emulator: str,
    generic: bool,
    static_source: Path,
    settings: SettingsWrapper,
    stage: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if generic:  # written through the storage's public API, as any other Django storage is
        monkeypatch.setattr(remote, "is_instance_of", lambda *_: False)
    settings.STATICFILES_DIRS = [str(static_source)]
    with EMULATORS[emulator]() as emulated:
        if generic:
            emulated = emulated.through_storage_api()
        settings.STORAGES = emulated.storages(location="static")
        build(stage)
        run_command("--noinput", "--publish", str(stage))
        again, _ = run_command("--noinput", "--publish", str(stage))

        expected = stock_whitenoise_tree(settings, tmp_path / "stock")
        assert {key: emulated.read(f"static/{key}") for key in expected} == expected
        assert emulated.keys() == {f"static/{key}" for key in expected} | {
            "static/.collectsync-index.json"
        }
        assert "Nothing changed since the last deploy" in again


def test_both_halves_need_a_remote_storage_and_publish_stages_nothing(
    project: Project, settings: SettingsWrapper, stage: Path
) -> None:
    build(stage)
    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--publish", str(stage), "--keep-local")
    assert str(refused.value) == (
        "--keep-local means nothing with --publish, which stages nothing: the stage "
        "directory is already what it would keep."
    )

    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": WHITENOISE}}
    for option in ("--stage-only", "--publish"):
        with pytest.raises(CommandError) as refused:
            run_command("--noinput", option, str(stage))
        assert str(refused.value) == (
            f"{option} needs collectsync and a remote staticfiles storage, and the staticfiles "
            "storage is a local one: collectstatic would only collect into STATIC_ROOT."
        )
    assert project.object_keys() == set()


def test_a_publish_that_fails_switches_nothing_and_a_rerun_finishes(
    project: Project, settings: SettingsWrapper, stage: Path, tmp_path: Path
) -> None:
    build(stage)
    run_command("--noinput", "--publish", str(stage))
    before = {key: project.read(key) for key in (MANIFEST_KEY, INDEX_KEY)}
    (project.source / "css" / "theme.css").write_text("/* theme, edited */")
    build(stage)
    theme = f"{LOCATION}/css/theme.css"

    def refuse_the_edited_stylesheet(method: str, key: str, attempt: int) -> Action:
        return "403" if (method, key) == ("PUT", theme) else "pass"

    with (
        through_proxy(project, refuse_the_edited_stylesheet),
        pytest.raises(CommandError) as failed,
    ):
        run_command("--noinput", "--publish", str(stage))

    assert "Nothing was switched" in str(failed.value)
    assert project.read(MANIFEST_KEY) == before[MANIFEST_KEY]
    # The index still describes the live release, and names what the publish began to
    # overwrite (besides the live bytes it copied aside into the archive).
    index, old = (
        SyncIndex.from_bytes(data) for data in (project.read(INDEX_KEY), before[INDEX_KEY])
    )
    assert (index.release_number, index.fingerprint, index.manifest) == (
        old.release_number,
        old.fingerprint,
        old.manifest,
    )
    assert {n: e for n, e in index.files.items() if n in old.files} == dict(old.files.items())
    assert index.doubt is not None
    assert "css/theme.css" in index.doubt
    run_command("--noinput", "--publish", str(stage))
    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert {name: published(project)[name] for name in expected} == expected


def test_a_stage_without_post_processing_publishes_plain_copies(
    project: Project, stage: Path
) -> None:
    run_command("--noinput", "--stage-only", str(stage), "--no-post-process")

    run_command("--noinput", "--publish", str(stage), "--no-post-process")

    sources = {
        p.relative_to(project.source).as_posix(): p.read_bytes()
        for p in project.source.rglob("*")
        if p.is_file()
    }
    assert published(project) == sources
