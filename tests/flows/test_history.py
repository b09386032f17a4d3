"""The release records --history shows: what a rollback restored, what a --prune deleted, and
the name a CI job gives a release through the environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from collectsync.index.sync_index import SyncIndex
from tests.support.project import CSS_RULES, INDEX_KEY, Project, run_command

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def test_a_rollback_row_says_which_release_it_restored(project: Project) -> None:
    run_command("--noinput", "--release-name", "abc123")
    (project.source / "css/theme.css").write_text("/* edited */\n" + CSS_RULES)
    run_command("--noinput")
    run_command("--noinput", "--rollback")

    out, _ = run_command("--history")

    row = out.strip().splitlines()[1]
    assert row.split()[:2][0] == "3"
    assert "  rollback to 1 (abc123)  " in row
    assert row.endswith("[live]")


def test_the_history_counts_what_prune_deleted(project: Project) -> None:
    run_command("--noinput")
    for edit in ("one", "two"):
        (project.source / "css/theme.css").write_text(f"/* {edit} */\n" + CSS_RULES)
        run_command("--noinput")
    before = project.object_keys()

    out, _ = run_command("--noinput", "--prune", "-v", "2")

    deleted = before - project.object_keys()
    assert deleted  # release 1's theme and what it archived
    live = SyncIndex.from_bytes(project.read(INDEX_KEY)).live_release
    assert live is not None
    assert live.number == 3
    assert live.deleted == len(deleted)
    assert out.count("Deleted '") == len(deleted)


def test_the_release_name_comes_from_the_environment_unless_the_setting_says(
    project: Project, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLECTSYNC_RELEASE_NAME", "from-the-job")
    run_command("--noinput")
    settings.COLLECTSYNC_RELEASE_NAME = "from-settings"
    (project.source / "css/theme.css").write_text("/* edited */\n" + CSS_RULES)
    run_command("--noinput")

    index = SyncIndex.from_bytes(project.read(INDEX_KEY))
    assert [release.name for release in index.releases] == ["from-the-job", "from-settings"]
