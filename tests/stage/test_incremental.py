"""Incremental staging, proven against full Whitenoise collects of the same sources.

Seeded random sequences of edits (changed, added, deleted and renamed files; @import chains;
url() with query strings and fragments; source maps; images shared by several stylesheets;
nested folders; references to files that are then deleted) are deployed one by one. After each
deploy, every object a full collect writes must be in the bucket with the same bytes, the
manifest included, and each unhashed name must have exactly the full collect's variants.
`pytest --differential-steps=N` runs longer sequences.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import django
import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage as WhiteNoiseStorage

from collectsync.files import Source
from collectsync.index.recorded_sources import RecordedSources
from collectsync.index.sync_index import SyncIndex
from collectsync.stage.incremental import select
from tests.support.differential import (
    check_against_full_collect,
    differential_run,
)
from tests.support.project import (
    INDEX_KEY,
    LOCATION,
    Project,
    RequestLog,
    run_command,
    stock_whitenoise_tree,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.mark.parametrize(("seed", "keep_only_hashed"), [(1, False), (2, False), (3, True)])
def test_random_edits_deploy_what_a_full_collect_writes(
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    seed: int,
    keep_only_hashed: bool,
    request: pytest.FixtureRequest,
) -> None:
    settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = keep_only_hashed
    steps = int(request.config.getoption("--differential-steps"))
    differential_run(project, settings, tmp_path, seed, steps)


def test_random_edits_to_django_admins_static_files(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    admin = Path(django.__file__).parent / "contrib/admin/static"
    shutil.rmtree(project.source)
    shutil.copytree(admin, project.source)
    run_command("--noinput")
    rng = random.Random(7)
    files = sorted(p.relative_to(project.source).as_posix() for p in project.source.rglob("*.*"))
    # An @import chain first, then edits to stylesheets, images and scripts at random.
    edits = [
        ("admin/css/base.css", b"@import url('dark_mode.css');\nbody { color: red; }\n"),
        ("admin/css/dark_mode.css", b".x { background: url('../img/search.svg'); }\n"),
    ]
    for step in range(3):
        kind = rng.choice([".css", ".svg", ".js"])
        name = rng.choice([f for f in files if f.endswith(kind) and "/vendor/" not in f])
        edits.append((name, (project.source / name).read_bytes() + f"/* {step} */".encode()))
    for step, (name, data) in enumerate(edits):
        (project.source / name).write_bytes(data)

        out, _ = run_command("--noinput")

        assert "reused from the last deploy without staging" in out, name
        check_against_full_collect(project, settings, tmp_path / f"full-{step}")


def test_only_the_changed_source_and_what_refers_to_it_are_staged_again() -> None:
    recorded = {
        "img/a.png": Source("1" * 32, "img/a.111111111111.png"),
        "css/a.css": Source("2" * 32, "css/a.222222222222.css", ("img/a.png",)),
        "css/b.css": Source("3" * 32, "css/b.333333333333.css", ("css/a.css",)),
        "css/c.css": Source("4" * 32, "css/c.444444444444.css", ("img/gone.png",)),
        "img/gone.png": Source("5" * 32, "img/gone.555555555555.png"),
        "js/x.js": Source("6" * 32, "js/x.666666666666.js"),
    }
    now = {name: source.md5 for name, source in recorded.items() if name != "img/gone.png"}
    now["img/a.png"] = "f" * 32

    selection = select(now, RecordedSources.of(recorded))

    assert selection is not None
    assert selection.staged == {"img/a.png", "css/a.css", "css/b.css", "css/c.css"}
    assert selection.reused == {"js/x.js": "js/x.666666666666.js"}
    # What this deploy may no longer have: the files of the sources staged again or deleted.
    assert set(selection.retiring) == {
        output + suffix
        for name in recorded
        if name != "js/x.js"
        for output in (name, str(recorded[name].hashed))
        for suffix in ("", ".br", ".gz")
    }


class LocalStorageOfOurOwn(WhiteNoiseStorage):  # type: ignore[misc]
    """Staging with a storage collectsync can't vouch for."""


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("--force-sync", "--force-sync stages everything"),
        ("--keep-local", "--keep-local keeps a complete staging dir"),
        ("--verify", "--verify checks every file"),
        ("setting", "the settings changed since the last deploy"),
        (
            "local storage",
            f"COLLECTSYNC_LOCAL_STORAGE '{__name__}.LocalStorageOfOurOwn' is not one "
            "collectsync knows how to stage incrementally",
        ),
        (
            "older record",
            "the sync index does not record the sources (an earlier collectsync wrote it, or "
            "one that could not watch staging)",
        ),
        ("corrupt index", "there is no usable sync index, only a listing of what the remote holds"),
    ],
)
def test_a_full_stage_says_why_in_one_line(
    project: Project, settings: SettingsWrapper, change: str, reason: str
) -> None:
    run_command("--noinput")
    (project.source / "css/theme.css").write_text("/* changed */")
    options = [change] if change.startswith("--") else []
    if change == "setting":
        settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = True
    elif change == "local storage":
        settings.COLLECTSYNC_LOCAL_STORAGE = f"{__name__}.LocalStorageOfOurOwn"
    elif change == "older record":
        index = SyncIndex.from_bytes(project.read(INDEX_KEY))
        older = dataclasses.replace(index, sources=None, settings=None)
        project.s3.put_object(Bucket=project.bucket, Key=INDEX_KEY, Body=older.to_bytes())
    elif change == "corrupt index":
        project.s3.put_object(Bucket=project.bucket, Key=INDEX_KEY, Body=b"not an index")

    out, _ = run_command("--noinput", *options)

    assert [line for line in out.splitlines() if line.startswith("Staging every")] == [
        f"Staging every file: {reason}."
    ]
    assert "reused from the last deploy" not in out
    again, _ = run_command("--noinput")
    assert "Nothing changed" in again


def test_a_file_a_failed_deploy_overwrote_is_staged_again(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    """A rollback to the last successful deploy's sources after a failed deploy overwrote a
    file: the partial record shows other bytes than the record, so everything is staged."""
    run_command("--noinput")
    theme = project.source / "css/theme.css"
    original = theme.read_bytes()
    index = SyncIndex.from_bytes(project.read(INDEX_KEY))
    theme.write_text("/* the failed deploy's bytes */")
    project.s3.put_object(
        Bucket=project.bucket, Key=f"{LOCATION}/css/theme.css", Body=theme.read_bytes()
    )
    staged = dataclasses.replace(
        index.files["css/theme.css"], md5=hashlib.md5(theme.read_bytes()).hexdigest()
    )
    partial = dataclasses.replace(index, files={**index.files, "css/theme.css": staged})
    project.s3.put_object(
        Bucket=project.bucket, Key=f"{INDEX_KEY}.partial", Body=partial.to_bytes()
    )
    theme.write_bytes(original)
    (project.source / "js/app.js").write_text("var changed = 1;")

    out, _ = run_command("--noinput")

    assert "Staging every file: the sync index can't vouch for every unchanged file." in out
    check_against_full_collect(project, settings, tmp_path / "full")


def test_an_image_two_stylesheets_refer_to_uploads_it_and_their_new_objects_only(
    project: Project, settings: SettingsWrapper, tmp_path: Path, request_log: RequestLog
) -> None:
    theme = project.source / "css/theme.css"
    theme.write_text('.banner { background: url("../img/logo.png"); }\n' + theme.read_text())
    run_command("--noinput")
    before = stock_whitenoise_tree(settings, tmp_path / "before")
    (project.source / "img/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    after = stock_whitenoise_tree(settings, tmp_path / "after")
    request_log.clear()

    out, _ = run_command("--noinput")

    changed = {f"{LOCATION}/{name}" for name, data in after.items() if before.get(name) != data}
    # The image, its new hashed name, each stylesheet's new hashed name with its .gz and .br,
    # and the manifest; the stylesheets' unhashed names keep their bytes.
    assert len(changed) == 9
    assert {f"{LOCATION}/css/site.css", f"{LOCATION}/css/theme.css"}.isdisjoint(changed)
    assert request_log.keys("PUT") == changed | {INDEX_KEY}
    assert "Staging every file" not in out
    check_against_full_collect(project, settings, tmp_path / "full")
