"""collectstatic --stage-only: a stage built with no remote at all, kept up to date."""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from django.core.management.base import CommandError

from collectsync.index.sync_index import SyncIndex
from collectsync.stage.sources import file_md5
from collectsync.stage_dir.directory import RECORD_NAME
from tests.settings import AZURITE_ENDPOINT
from tests.support.children import run_child, wait_for
from tests.support.differential import check_against_full_collect, edit, initial_tree
from tests.support.emulated import AZURITE_CONNECTION
from tests.support.project import (
    INDEX_KEY,
    Project,
    RequestLog,
    run_command,
    s3_storages,
    stock_whitenoise_tree,
    without_time,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def mark_old(root: Path) -> None:
    """Date every file to 1970, so that those written since can be told apart."""
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (0, 0))


def written_since_marked(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.stat().st_mtime
    }


def recorded_files(stage: Path) -> dict[str, tuple[str, int]]:
    """Every file the build record describes, with its md5 and size."""
    record = json.loads((stage / RECORD_NAME).read_bytes())
    files = {name: (row[0], row[1]) for name, row in record["files"].items()}
    name, md5, size = record["manifest"]
    return {**files, name: (md5, size)}


@pytest.fixture
def stage(tmp_path: Path) -> Path:
    path = tmp_path / "stage"
    path.mkdir()
    return path


@pytest.fixture
def offline(project: Project, settings: SettingsWrapper) -> Project:
    """The project's S3 storage, with no credentials and an endpoint nothing answers at."""
    storages = s3_storages(project.bucket)
    storages["staticfiles"]["OPTIONS"].update(
        endpoint_url="http://127.0.0.1:9", access_key="", secret_key=""
    )
    settings.STORAGES = storages
    return project


DEAD_ENDPOINT = "http://127.0.0.1:9"
OFFLINE_STORAGES = {
    "google": (
        "tests.support.emulated.GoogleCloudManifestStorage",
        {"bucket_name": "nowhere", "location": "static"},
    ),
    "azure": (
        "tests.support.emulated.AzureManifestStorage",
        {
            "azure_container": "nowhere",
            "connection_string": AZURITE_CONNECTION.replace(AZURITE_ENDPOINT, DEAD_ENDPOINT),
        },
    ),
}


@pytest.mark.parametrize("kind", list(OFFLINE_STORAGES))
def test_stage_only_never_asks_google_or_azure_anything(
    project: Project,
    settings: SettingsWrapper,
    stage: Path,
    tmp_path: Path,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(requests.Session, "send", lambda _, request, **__: sent.append(request.url))
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", DEAD_ENDPOINT)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    backend, options = OFFLINE_STORAGES[kind]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": backend, "OPTIONS": options},
    }

    run_command("--noinput", "--stage-only", str(stage))

    assert tree(stage / "files") == stock_whitenoise_tree(settings, tmp_path / "stock")
    assert sent == []


def test_stage_only_stages_what_a_full_collect_writes_with_no_remote_at_all(
    offline: Project,
    settings: SettingsWrapper,
    stage: Path,
    tmp_path: Path,
    request_log: RequestLog,
) -> None:
    out, err = run_command("--noinput", "--stage-only", str(stage))

    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert tree(stage / "files") == expected
    assert not [p for p in (stage / "files").rglob("*") if p.is_symlink()]
    assert recorded_files(stage) == {
        name: (file_md5(stage / "files" / name), len(data)) for name, data in expected.items()
    }
    assert sorted(p.name for p in stage.iterdir()) == [RECORD_NAME, "files"]
    assert request_log.requests == []
    assert err == ""
    assert without_time(out) == (f"\n{len(expected)} static files staged into '{stage}', in Xs.\n")


def test_a_warm_stage_stages_again_only_what_changed(
    offline: Project,
    settings: SettingsWrapper,
    stage: Path,
    tmp_path: Path,
    request_log: RequestLog,
) -> None:
    run_command("--noinput", "--stage-only", str(stage))
    before = tree(stage / "files")
    mark_old(stage / "files")
    (offline.source / "js" / "app.js").write_text("function edited() { return 1; }\n" * 40)

    out, _ = run_command("--noinput", "--stage-only", str(stage))

    after = tree(stage / "files")
    assert after == stock_whitenoise_tree(settings, tmp_path / "stock")
    rewritten = written_since_marked(stage / "files")
    # The edited script's files (its new hashed name, its original, their variants) and the
    # manifest; nothing else was staged again.
    changed = {name for name in after if before.get(name) != after[name]}
    assert rewritten == changed
    assert {name for name in rewritten if not name.startswith("js/app.")} == {"staticfiles.json"}
    assert not set(before) - set(after) - {n for n in before if n.startswith("js/app.")}
    assert recorded_files(stage) == {
        name: (file_md5(stage / "files" / name), len(data)) for name, data in after.items()
    }
    staged_again = len(rewritten - {"staticfiles.json"})
    assert without_time(out) == (
        f"\n{len(after)} static files staged into '{stage}' ({staged_again} staged again), in Xs.\n"
    )
    assert request_log.requests == []


def test_nothing_changed_stages_nothing(offline: Project, stage: Path) -> None:
    run_command("--noinput", "--stage-only", str(stage))
    mark_old(stage / "files")

    out, _ = run_command("--noinput", "--stage-only", str(stage))

    assert written_since_marked(stage / "files") == set()
    assert out == (
        f"\nNothing changed since the stage in '{stage}' was built: 6 source files and the "
        "settings match its fingerprint, so nothing was staged.\n"
    )


def test_a_damaged_stage_is_staged_again_whole(
    offline: Project, settings: SettingsWrapper, stage: Path, tmp_path: Path
) -> None:
    run_command("--noinput", "--stage-only", str(stage))
    (stage / "files" / "js" / "app.js").unlink()
    (stage / "files" / "stray.txt").write_text("left by hand")

    out, _ = run_command("--noinput", "--stage-only", str(stage), verbosity=1)

    assert tree(stage / "files") == stock_whitenoise_tree(settings, tmp_path / "stock")
    assert out.startswith(
        "Staging every file: 'js/app.js' in the stage does not match its build record (it is "
        "missing).\n"
    )


def test_a_failed_build_leaves_no_stage_to_publish(
    offline: Project, settings: SettingsWrapper, stage: Path, tmp_path: Path
) -> None:
    run_command("--noinput", "--stage-only", str(stage))
    site = offline.source / "css" / "site.css"
    good = site.read_bytes()
    site.write_text('.x { background: url("../img/missing.png"); }')

    with pytest.raises(CommandError, match=r"references 'img/missing\.png'"):
        run_command("--noinput", "--stage-only", str(stage))

    assert not (stage / RECORD_NAME).exists()
    assert not [p for p in stage.iterdir() if p.name.startswith(".collectsync")]
    with pytest.raises(CommandError, match="holds no complete stage"):
        run_command("--noinput", "--publish", str(stage))

    site.write_bytes(good)
    run_command("--noinput", "--stage-only", str(stage))
    assert tree(stage / "files") == stock_whitenoise_tree(settings, tmp_path / "stock")


def test_a_directory_that_is_missing_or_cant_be_written_is_one_sentence(
    offline: Project, stage: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = stage / "nowhere"
    with pytest.raises(CommandError) as raised:
        run_command("--noinput", "--stage-only", str(missing))
    assert str(raised.value) == (
        f"The stage directory '{missing}' does not exist; create it (mkdir -p {missing}) and rerun."
    )

    def denied(**_: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    # Root may write into any directory, so the refusal is played where the build asks.
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(CommandError) as raised:
        run_command("--noinput", "--stage-only", str(stage))
    assert str(raised.value) == (
        f"The stage directory '{stage}' can't be written (Permission denied); give this user "
        "write access to it, or stage elsewhere."
    )
    assert list(stage.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "sentence"),
    [
        (
            ["--dry-run"],
            "--dry-run means nothing with --stage-only, which touches no remote; leave it "
            "out, or give it to --publish.",
        ),
        (
            ["--publish", "elsewhere"],
            "--stage-only and --publish are the two halves of a deploy; run the first where "
            "you build, the second where you release.",
        ),
    ],
)
def test_options_that_mean_nothing_with_stage_only_are_refused(
    offline: Project, stage: Path, option: list[str], sentence: str
) -> None:
    with pytest.raises(CommandError) as raised:
        run_command("--noinput", "--stage-only", str(stage), *option)
    assert str(raised.value) == sentence
    assert list(stage.iterdir()) == []


@pytest.mark.parametrize(("seed", "keep_only_hashed"), [(4, False), (5, True)])
def test_random_edits_stage_and_publish_what_a_full_collect_writes(
    project: Project,
    settings: SettingsWrapper,
    stage: Path,
    tmp_path: Path,
    seed: int,
    keep_only_hashed: bool,
    request: pytest.FixtureRequest,
) -> None:
    """After each edit, the stage is exactly a full Whitenoise collect of the sources, and
    publishing it leaves the bucket as a deploy of them would."""
    settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = keep_only_hashed
    rng = random.Random(seed)
    shutil.rmtree(project.source)
    sources = initial_tree(project.source, rng)
    steps = int(request.config.getoption("--differential-steps"))
    for step in range(steps + 1):
        done, restore = edit(sources) if step else ("first build", None)
        if restore is not None:
            with pytest.raises(CommandError, match="Staging failed"):
                run_command("--noinput", "--stage-only", str(stage))
            with pytest.raises(CommandError, match="holds no complete stage"):
                run_command("--noinput", "--publish", str(stage))
            shutil.copy(sources.root.parent / "saved", sources.root / restore)
        out, _ = run_command("--noinput", "--stage-only", str(stage))
        expected = stock_whitenoise_tree(settings, tmp_path / f"full-{step}")
        assert tree(stage / "files") == expected, (seed, step, done)
        assert restore is not None or step == 0 or "staged again" in out, (seed, step, done)
        run_command("--noinput", "--publish", str(stage))
        check_against_full_collect(project, settings, tmp_path / f"published-{step}")
        # The index records the sources as the build did: later deploys stage from it.
        index = SyncIndex.from_bytes(project.read(INDEX_KEY))
        built = json.loads((stage / RECORD_NAME).read_bytes())["sources"]
        assert {
            name: [source.md5, source.hashed, list(source.refs)]
            for name, source in (index.sources or {}).items()
        } == built, (seed, step, done)


def test_sigterm_during_a_build_leaves_no_stage_and_a_rerun_builds_it(
    project: Project, settings: SettingsWrapper, stage: Path, tmp_path: Path, staging_parent: Path
) -> None:
    run_command("--noinput", "--stage-only", str(stage))
    paused = tmp_path / "paused"
    # The child stops in the middle of post-processing until the signal ends it.
    child = run_child(
        project, staging_parent, "--stage-only", str(stage), COLLECTSYNC_TEST_PAUSE=str(paused)
    )
    wait_for(paused.exists, child)
    # The build holds the stage directory: another build would wait for it.
    directory = os.open(stage, os.O_RDONLY)
    with pytest.raises(BlockingIOError):
        fcntl.flock(directory, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(directory)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)

    assert child.returncode == 1
    assert (
        f"CommandError: Interrupted: the stage in '{stage}' is not complete; rerun "
        "collectstatic --stage-only to finish it."
    ) in err
    assert sorted(p.name for p in stage.iterdir()) == ["files"]
    with pytest.raises(CommandError, match="holds no complete stage"):
        run_command("--noinput", "--publish", str(stage))

    run_command("--noinput", "--stage-only", str(stage))

    assert tree(stage / "files") == stock_whitenoise_tree(settings, tmp_path / "stock")
