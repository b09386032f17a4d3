"""--prune and --clear: what is deleted, and when, against a real LocalStack S3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from collectsync.files import Entry
from collectsync.index.sync_index import SyncIndex
from collectsync.sync.prune import plan_pruning
from tests.support.project import (
    ARCHIVE,
    CSS_RULES,
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    Project,
    RequestLog,
    run_command,
    stock_whitenoise_tree,
    without_time,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def entry(last_deploy: int, release_number: int = 5) -> Entry:
    return Entry("0" * 32, 1, left=None if last_deploy == release_number else last_deploy + 1)


def test_pruning_keeps_the_last_deploys_and_the_protected_names() -> None:
    index = SyncIndex(
        {"now.css": entry(5), "before.css": entry(4), "old.css": entry(3), "gone.css": entry(5)},
        release_number=5,
    )
    remote = {"now.css", "before.css", "old.css", "unknown.css", "index.json", "manifest.json"}

    pruning = plan_pruning(
        index, remote, keep_releases=2, protected={"index.json", "manifest.json"}
    )

    assert pruning.stale == ["old.css", "unknown.css"]
    assert set(pruning.index.files) == {"now.css", "before.css"}
    assert plan_pruning(index, remote, keep_releases=1, protected=set()).stale == [
        "before.css",
        "index.json",
        "manifest.json",
        "old.css",
        "unknown.css",
    ]


def test_a_record_rebuilt_from_a_listing_counts_as_the_deploy_before_the_first() -> None:
    rebuilt = SyncIndex({"stock.css": entry(0, release_number=0)})
    first = rebuilt.updated([], None, release_number=1, retiring=None)  # a full stage

    assert plan_pruning(first, {"stock.css"}, keep_releases=2, protected=set()).stale == []
    assert plan_pruning(first, {"stock.css"}, keep_releases=1, protected=set()).stale == [
        "stock.css"
    ]


def release(project: Project, version: int) -> None:
    """Change the source so the next deploy has new hashed names for one stylesheet."""
    (project.source / "css/theme.css").write_text(f"/* release {version} */\n" + CSS_RULES)


def tree_keys(settings: SettingsWrapper, root: Path) -> set[str]:
    return {f"{LOCATION}/{name}" for name in stock_whitenoise_tree(settings, root)}


def releases(
    project: Project, settings: SettingsWrapper, root: Path, *, deploy_last: bool
) -> list[set[str]]:
    """Releases 1 to 3, each deployed (the last only if ``deploy_last``); their keys."""
    trees = []
    for version in (1, 2, 3):
        release(project, version)
        trees.append(tree_keys(settings, root / f"v{version}"))
        if version < 3 or deploy_last:
            run_command("--noinput")
    return trees


def test_prune_deletes_what_only_older_deploys_had_after_the_manifest_is_live(
    project: Project, settings: SettingsWrapper, tmp_path: Path, request_log: RequestLog
) -> None:
    trees = releases(project, settings, tmp_path, deploy_last=False)
    request_log.clear()
    report = tmp_path / "report.json"

    out, _ = run_command("--noinput", "--prune", "--json-report", str(report))
    methods = [(method, key) for method, _, key in request_log.requests]

    stale = trees[0] - trees[1] - trees[2]
    assert len(stale) == 3  # theme.css's first hashed name and its .gz and .br
    assert project.keys_outside_archive() == trees[1] | trees[2] | {INDEX_KEY}
    assert without_time(out).endswith(
        "\n3 stale files and 2 archived copies deleted; the files of the last 2 deploys "
        "were kept.\n"
    )
    # Release 1's copies went with it (the manifest, the index; its theme.css was held by
    # the hashed name pruned with it); release 2's stay for a rollback.
    assert f"{ARCHIVE}index/1" not in project.object_keys()
    assert f"{ARCHIVE}index/2" in project.object_keys()
    deletion = methods.index(("POST", ""))
    assert deletion == len(methods) - 1
    assert methods.index(("PUT", MANIFEST_KEY)) < deletion
    assert ("PUT", INDEX_KEY) in methods[deletion - 2 : deletion]
    assert json.loads(report.read_text())["deleted_files"] == 5


def test_clear_uploads_then_deletes_everything_this_deploy_does_not_have(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    run_command("--noinput")
    project.s3.put_object(Bucket=project.bucket, Key=f"{LOCATION}/orphan.txt", Body=b"x")
    release(project, 2)

    out, _ = run_command("--noinput", "--clear")

    # The unchanged stylesheets' .gz and .br were not made again, yet belong to this deploy.
    assert project.keys_outside_archive() == tree_keys(settings, tmp_path / "now") | {INDEX_KEY}
    assert "4 stale files and 2 archived copies deleted; the files of this deploy were kept." in out


def test_prune_with_nothing_changed_still_prunes(
    project: Project, settings: SettingsWrapper, tmp_path: Path, request_log: RequestLog
) -> None:
    trees = releases(project, settings, tmp_path, deploy_last=True)
    request_log.clear()

    out, _ = run_command("--noinput", "--prune")
    methods = [(method, key) for method, _, key in request_log.requests]

    assert "Nothing changed since the last deploy" in out
    assert (
        "3 stale files and 2 archived copies deleted; the files of the last 2 deploys were kept."
        in out
    )
    assert methods == [
        ("GET", INDEX_KEY),
        ("GET", f"{INDEX_KEY}.partial"),
        ("GET", ""),  # the listing
        ("PUT", INDEX_KEY),
        ("POST", ""),  # DeleteObjects
    ]
    assert project.keys_outside_archive() == trees[1] | trees[2] | {INDEX_KEY}


def test_a_dry_run_lists_what_would_be_deleted_and_deletes_nothing(project: Project) -> None:
    run_command("--noinput")
    before = project.object_keys()
    theme = project.manifest_paths()["css/theme.css"]
    release(project, 2)

    out, _ = run_command("--noinput", "--clear", "--dry-run")

    assert project.object_keys() == before
    assert [line for line in out.splitlines() if line.startswith("Pretending to delete")] == [
        f"Pretending to delete '{theme}'",
        f"Pretending to delete '{theme}.br'",
        f"Pretending to delete '{theme}.gz'",
    ]
    assert out.rstrip().endswith(
        "3 stale files would be deleted; the files of this deploy were kept."
    )


def test_keep_releases_setting_sets_how_many_deploys_prune_keeps(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.COLLECTSYNC_KEEP_RELEASES = 1
    run_command("--noinput")
    release(project, 2)

    run_command("--noinput", "--prune")

    assert project.keys_outside_archive() == tree_keys(settings, tmp_path / "now") | {INDEX_KEY}


def test_the_prompt_warns_that_older_files_will_be_deleted(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return "yes"

    monkeypatch.setattr("builtins.input", answer)

    run_command("--prune")

    assert "the files of older deploys will be DELETED" in prompts[0]
    assert MANIFEST_KEY in project.object_keys()


def test_a_dry_run_of_prune_lists_exactly_what_the_run_deletes(project: Project) -> None:
    # Two rollbacks first, so that the archive already holds the manifest the deploy
    # overwrites: the deploy keeps that copy longer instead of copying it again.
    for version in (1, 2):
        release(project, version)
        (project.source / "robots.txt").write_text(f"Disallow: /{version}/\n" * 40 * version)
        run_command("--noinput")
    run_command("--noinput", "--rollback")
    run_command("--noinput", "--rollback", "2")
    (project.source / "css/theme.css").write_text("/* release 3 */\n" + CSS_RULES)
    (project.source / "robots.txt").write_text("User-agent: *\nDisallow: /3/\n")

    dry, _ = run_command("--noinput", "--prune", "--dry-run")
    real, _ = run_command("--noinput", "--prune", "-v", "2")

    announced = {
        line.split("'")[1] for line in dry.splitlines() if line.startswith("Pretending to delete")
    }
    deleted = {line.split("'")[1] for line in real.splitlines() if line.startswith("Deleted '")}
    assert announced == deleted
    assert any(name.endswith("/staticfiles.json") for name in deleted)
