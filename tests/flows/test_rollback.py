"""Rollback: deploy v1, deploy v2, roll back, and the remote holds what a full Whitenoise collect
of v1 writes; deploy v2 again and it holds v2's. On S3 (LocalStack), Cloud Storage and Azure
(their emulators), and any storage through Django's API."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management.base import CommandError

import collectsync
from collectsync.errors import RemoteError
from collectsync.index.sync_index import SyncIndex
from collectsync.refusals import STAGED_AS_IT_WAS
from collectsync.remote.s3.adapter import S3Remote
from collectsync.sync import restore
from collectsync.sync.archive import archive_index
from scripts.faults.proxy import Action
from tests.support.emulated import EMULATORS, deploying_to
from tests.support.project import (
    CSS_RULES,
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    Deployed,
    Project,
    RequestLog,
    run_command,
    stock_whitenoise_tree,
    version_2,
    without_time,
)
from tests.support.proxy import settle, through_proxy

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.fixture(params=["s3", *EMULATORS, "google-generic"])
def deployed(
    request: pytest.FixtureRequest,
    static_source: Path,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Deployed]:
    kind = str(request.param)
    if kind == "s3":
        yield request.getfixturevalue("project")
        return
    with deploying_to(kind, static_source, settings, monkeypatch) as emulated:
        yield emulated.deployed(static_source)


def holds(deployed: Deployed, tree: dict[str, bytes]) -> dict[str, bool]:
    """For each key of a full collect, whether the remote holds its bytes."""
    return {name: deployed.read(f"{LOCATION}/{name}") == data for name, data in tree.items()}


def serves(deployed: Deployed, tree: dict[str, bytes]) -> None:
    """The remote serves what the full collect ``tree`` would: every key with its bytes, and
    each name with exactly its variants (a stale .gz would be served for other bytes)."""
    assert [name for name, same in holds(deployed, tree).items() if not same] == []
    remote = {key.removeprefix(f"{LOCATION}/") for key in deployed.object_keys()}
    for name in tree:
        variants = {name + suffix for suffix in (".gz", ".br")}
        assert variants & remote == variants & set(tree), name


def test_rollback_restores_every_name_of_the_earlier_release_and_a_deploy_rolls_forward(
    deployed: Deployed, settings: SettingsWrapper, tmp_path: Path
) -> None:
    source = deployed.source
    (source / "robots.txt").write_text("User-agent: *\nDisallow: /v1/\n")
    print_css = source / "css/print.css"  # its URL is rewritten: no hashed name holds it
    print_css.write_text('.p { background: url("../fonts/body.woff2"); }\n' + CSS_RULES)
    run_command("--noinput")
    v1 = stock_whitenoise_tree(settings, tmp_path / "v1")
    version_2(source)
    print_css.write_text("/* v2 */\n" + print_css.read_text())
    run_command("--noinput")
    v2 = stock_whitenoise_tree(settings, tmp_path / "v2")
    serves(deployed, v2)
    report = tmp_path / "rollback.json"

    out, _ = run_command("--noinput", "--rollback", "-v", "2", "--json-report", str(report))

    serves(deployed, v1)
    # Bytes no hashed name holds come from the archive; the others from v1's hashed names.
    archived = r"'\.collectsync-index\.json\.releases/[0-9a-f]{32}/css/print\.css'"
    assert re.search(rf"Copying {archived} to 'css/print\.css'\n", out)
    theme = json.loads(v1["staticfiles.json"])["paths"]["css/theme.css"]
    assert f"Copying '{theme}' to 'css/theme.css'\n" in out
    # Nothing came from this machine but the index, twice (naming the names it is about to
    # overwrite, then the new release's): the rest are copies.
    document = json.loads(report.read_text())
    assert document["rollback_of"] == 1
    requests = document["requests"]
    if "COPY" in requests:  # a remote that copies server-side
        assert (requests["PUT"], requests["COPY"]) == (2, document["copied"])
    else:  # through Django's storage API, each copy is read and written
        assert requests["PUT"] == document["copied"] + 2
    changed = set(document["changed_names"])
    assert {"robots.txt", "css/theme.css", "staticfiles.json"} <= changed
    assert {"robots.txt.gz", "js/app.js.gz"} <= changed  # deleted and brought back
    assert "robots.txt.gz" not in v1
    assert "js/app.js.gz" in v1
    assert not any(
        name.startswith(("css/theme.", "js/app.")) and name.count(".") > 2 for name in changed
    )

    # Deploying v2 again stages only what changed since v1 and writes v2's collect.
    out, _ = run_command("--noinput")
    assert "Staging every file" not in out
    serves(deployed, v2)


def deploy_first_and_second(project: Project) -> None:
    """Two releases, named "first" and "second", the second with theme.css edited."""
    run_command("--noinput", "--release-name", "first")
    (project.source / "css/theme.css").write_text("/* edited */\n" + CSS_RULES)
    run_command("--noinput", "--release-name", "second")


def test_a_rerun_of_a_finished_rollback_copies_nothing_and_records_nothing(
    project: Project, request_log: RequestLog
) -> None:
    deploy_first_and_second(project)
    run_command("--noinput", "--rollback", "1")
    index = project.read(INDEX_KEY)
    request_log.requests.clear()

    out, _ = run_command("--noinput", "--rollback", "1")

    assert out.splitlines()[-1] == (
        f"Release 1 (first) is what s3://{project.bucket}/{LOCATION} serves already: nothing "
        "was copied, and no release was recorded."
    )
    assert project.read(INDEX_KEY) == index
    assert {method for method, _, _ in request_log.requests} == {"GET"}


def test_history_lists_releases_newest_first_with_the_live_one_marked(
    project: Project, request_log: RequestLog
) -> None:
    deploy_first_and_second(project)
    run_command("--noinput", "--rollback", "1")
    request_log.clear()

    out, _ = run_command("--history")

    lines = without_time(out).strip().splitlines()
    assert lines[0] == f"Releases in s3://{project.bucket}/static, newest first:"
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    assert "rollback to 1" in lines[1]
    assert lines[1].endswith("[live]")
    assert " second " in lines[2]
    assert lines[2].endswith("[available]")
    assert " first " in lines[3]
    assert lines[3].endswith("[available]")
    # One request: the index.
    assert request_log.requests == [("GET", project.bucket, INDEX_KEY)]


def test_rollback_refusals_are_one_sentence(project: Project) -> None:
    with pytest.raises(CommandError, match=r"^No live release is recorded in s3://"):
        run_command("--noinput", "--rollback")
    run_command("--noinput")
    with pytest.raises(CommandError, match=r"the only release recorded"):
        run_command("--noinput", "--rollback")
    with pytest.raises(CommandError, match=r"^There is no release 7 in s3://"):
        run_command("--noinput", "--rollback", "7")
    with pytest.raises(CommandError, match=r"^Release 1 is already live in s3://"):
        run_command("--noinput", "--rollback", "1")


@pytest.mark.parametrize(
    ("given", "way_out"),
    [
        (["--prune"], "give --prune to the next deploy"),
        (["--clear"], "give --clear to the next deploy"),
        (["--verify"], "give --verify to the next deploy"),
        (["--force-sync"], "give --force-sync to the next deploy"),
        (["--keep-local"], "a rollback stages nothing to keep"),
        (["--history"], "run --history on its own to list the releases"),
        (["--publish", "stage"], "to make a stage live, run --publish on its own"),
        (["--stage-only", "stage"], "build a stage with --stage-only on its own"),
        (["--ignore", "*.txt"], STAGED_AS_IT_WAS),
        (["--no-post-process"], STAGED_AS_IT_WAS),
        (["--no-default-ignore"], STAGED_AS_IT_WAS),
    ],
)
def test_rollback_refuses_what_means_nothing_to_it_naming_the_way_out(
    project: Project, given: list[str], way_out: str
) -> None:
    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--rollback", *given)
    assert str(refused.value) == (
        f"{given[0]} means nothing with --rollback, which copies an earlier release back and "
        f"stages nothing; leave it out ({way_out})."
    )
    assert project.object_keys() == set()


@pytest.mark.parametrize(
    "given", [["--prune"], ["--dry-run"], ["--clear"], ["--force-sync"], ["--ignore", "x"]]
)
def test_history_refuses_what_means_nothing_to_it(project: Project, given: list[str]) -> None:
    with pytest.raises(CommandError) as refused:
        run_command("--history", *given)
    assert str(refused.value) == (
        f"{given[0]} means nothing with --history, which only lists the releases; run it "
        "without other flags (--json-report writes them as JSON)."
    )
    assert project.object_keys() == set()


def test_rollback_to_release_0_or_to_no_number_is_one_sentence(project: Project) -> None:
    run_command("--noinput")
    run_command("--noinput", "--force-sync")  # nothing changed: no second release
    with pytest.raises(CommandError) as zero:
        run_command("--noinput", "--rollback", "0")
    assert str(zero.value) == (
        f"There is no release 0 in s3://{project.bucket}/static; `collectstatic --history` "
        "lists the releases."
    )
    with pytest.raises(CommandError) as word:
        run_command("--noinput", "--rollback", "notarelease")
    assert str(word.value) == (
        "--rollback takes a release number, as `collectstatic --history` lists them, not "
        "'notarelease'."
    )


@pytest.mark.parametrize("flow", [["--rollback", "1"], ["--history"]])
def test_rollback_and_history_are_refused_where_django_collects(
    project: Project, settings: SettingsWrapper, tmp_path: Path, flow: list[str]
) -> None:
    settings.STATIC_ROOT = str(tmp_path / "root")
    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--disable-collectsync", *flow)
    assert str(refused.value) == (
        f"{flow[0]} needs collectsync and a remote staticfiles storage, and "
        "--disable-collectsync turns it off: collectstatic would only collect into STATIC_ROOT."
    )
    assert not (tmp_path / "root").exists()


def test_a_dry_run_lists_the_copies_and_changes_nothing(project: Project) -> None:
    run_command("--noinput")
    first = project.manifest_paths()["css/theme.css"]
    (project.source / "css/theme.css").write_text("/* edited */\n" + CSS_RULES)
    run_command("--noinput")
    second = project.manifest_paths()["css/theme.css"]
    before = {key: project.read(key) for key in project.object_keys()}

    out, _ = run_command("--noinput", "--rollback", "--dry-run")

    assert {key: project.read(key) for key in project.object_keys()} == before
    # theme.css has no URL to rewrite: each release's hashed name holds its bytes, and the
    # manifest and the index are copied from the archive.
    assert f"Pretending to copy '{first}' to 'css/theme.css'\n" in out
    assert f"Pretending to copy '{first}.br' to 'css/theme.css.br'\n" in out
    assert f"Pretending to copy '{second}'" not in out
    assert "Pretending to copy '.collectsync-index.json.releases/" in out
    assert "' to 'staticfiles.json'" in out
    assert without_time(out).endswith(
        f"Would roll back s3://{project.bucket}/static to release 1: 6 server-side copies, "
        "0 deletions, nothing uploaded. Nothing was written (--dry-run).\n"
    )


def test_a_pruned_release_is_refused_naming_the_way_back(
    project: Project, settings: SettingsWrapper
) -> None:
    settings.COLLECTSYNC_KEEP_RELEASES = 1
    run_command("--noinput")
    (project.source / "css/theme.css").write_text("/* edited */\n" + CSS_RULES)
    run_command("--noinput", "--prune")

    with pytest.raises(CommandError) as refused:
        run_command("--noinput", "--rollback")

    assert str(refused.value) == (
        f"Release 1's files are no longer in s3://{project.bucket}/static "
        "('.collectsync-index.json.releases/index/1' was pruned); to make it live again, build "
        "its sources with --stage-only and run collectstatic --publish on that stage."
    )
    out, _ = run_command("--history")
    assert out.rstrip().endswith("[pruned]")


def test_a_release_kept_by_prune_rolls_back_from_its_hashed_names(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.COLLECTSYNC_KEEP_RELEASES = 2
    theme = project.source / "css/theme.css"
    run_command("--noinput")
    theme.write_text("/* v2 */\n" + CSS_RULES)
    v2 = stock_whitenoise_tree(settings, tmp_path / "v2")
    run_command("--noinput", "--prune")
    theme.write_text("/* v3 */\n" + CSS_RULES)
    run_command("--noinput", "--prune")  # release 1's files go; 2's hashed names stay

    run_command("--noinput", "--rollback", "2")

    assert {name: project.read(f"{LOCATION}/{name}") for name in v2} == v2
    with pytest.raises(CommandError, match="Release 1's files are no longer in"):
        run_command("--noinput", "--rollback", "1")


def test_each_release_records_who_made_it_and_a_no_change_deploy_records_nothing(
    project: Project, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
    settings.COLLECTSYNC_RELEASE_NAME = "v1.0"
    run_command("--noinput")
    run_command("--noinput")

    index = SyncIndex.from_bytes(project.read(INDEX_KEY))
    (release,) = index.releases
    manifest_md5 = hashlib.md5(project.read(MANIFEST_KEY)).hexdigest()
    assert (release.number, release.name, release.commit, release.host) == (
        1,
        "v1.0",
        "0123456789abcdef0123456789abcdef01234567",
        socket.gethostname(),
    )
    assert (release.uploaded, release.unchanged, release.deleted, release.copied) == (
        len(project.object_keys()) - 1,
        0,
        0,
        0,
    )
    assert (release.manifest_md5, release.version) == (manifest_md5, collectsync.__version__)
    assert index.live_release == release

    # What it did not upload counts as unchanged, whether staged again or reused unstaged.
    (project.source / "css/theme.css").write_text("/* edited */\n" + CSS_RULES)
    out, _ = run_command("--noinput")
    summary = re.search(r"; (\d+) uploaded .*, (\d+) unchanged, (\d+) reused", out)
    assert summary, out
    uploaded, unchanged, reused = map(int, summary.groups())
    second = SyncIndex.from_bytes(project.read(INDEX_KEY)).releases[-1]
    assert (second.uploaded, second.unchanged) == (uploaded, unchanged + reused)


def test_a_rollback_that_fails_part_way_leaves_the_live_release_and_a_rerun_finishes(
    project: Project, settings: SettingsWrapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.source / "robots.txt").write_text("User-agent: *\nDisallow: /v1/\n")
    run_command("--noinput")
    v1 = stock_whitenoise_tree(settings, tmp_path / "v1")
    version_2(project.source)
    run_command("--noinput")
    v2 = stock_whitenoise_tree(settings, tmp_path / "v2")
    real_copy = S3Remote.copy
    restored: list[str] = []

    def copy(self: S3Remote, source: str, name: str, **kwargs: Any) -> None:
        if not name.startswith(".collectsync-index.json.releases/"):
            if len(restored) == 2:
                raise RemoteError(f"injected failure copying to '{name}'")
            restored.append(name)
        real_copy(self, source, name, **kwargs)

    monkeypatch.setattr(S3Remote, "copy", copy)
    monkeypatch.setattr(settings, "COLLECTSYNC_WORKERS", 1, raising=False)
    with pytest.raises(CommandError, match="injected failure"):
        run_command("--noinput", "--rollback")
    monkeypatch.setattr(S3Remote, "copy", real_copy)

    # Two names hold v1's bytes already, but the manifest is v2's: v2 is still what is live.
    assert project.read(MANIFEST_KEY) == v2["staticfiles.json"]
    assert [project.read(f"{LOCATION}/{name}") == v1[name] for name in restored] == [True, True]

    run_command("--noinput", "--rollback")

    assert all(holds(project, v1).values())
    # And forward again: the bytes archived during the failed run were v2's own.
    run_command("--noinput", "--rollback", "2")
    assert all(holds(project, v2).values())


def test_a_deploy_during_a_rollback_is_merged_as_two_deploys_are(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_command("--noinput")
    version_2(project.source)
    run_command("--noinput")

    def deploy_meanwhile(*args: Any) -> Any:
        # Another deploy writes the index after this rollback read it, before it writes it.
        (project.source / "robots.txt").write_text("User-agent: *\nDisallow: /v3/\n")
        run_command("--noinput", "--release-name", "meanwhile")
        return archive_index(*args)

    monkeypatch.setattr(restore, "archive_index", deploy_meanwhile)

    _, err = run_command("--noinput", "--rollback", "1")

    assert "Another deploy updated the sync index" in err
    index = SyncIndex.from_bytes(project.read(INDEX_KEY))
    assert [(r.number, r.name, r.rollback_of) for r in index.releases[-2:]] == [
        (3, "meanwhile", None),
        (4, None, 1),
    ]
    assert index.release_number == 4


def test_history_as_json_lists_each_release_with_its_status(
    project: Project, tmp_path: Path
) -> None:
    deploy_first_and_second(project)
    report = tmp_path / "history.json"

    run_command("--history", "--json-report", str(report))

    document = json.loads(report.read_text())
    assert document["destination"] == f"s3://{project.bucket}/static"
    assert document["live"] == 2
    assert [(r["number"], r["name"], r["status"]) for r in document["releases"]] == [
        (2, "second", "live"),
        (1, "first", "available"),
    ]
    # Release 1 uploaded every object but release 2's new hashed theme (3) and the index.
    assert document["releases"][1]["uploaded"] == len(project.keys_outside_archive()) - 4


@pytest.mark.usefixtures("ctrl_c")
# A real SIGINT may land while the garbage collector finalizes an object, where Python prints
# the KeyboardInterrupt and drops it (the rollback then stops at its checkpoint).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupted_rollback_is_resumed_by_its_rerun(
    project: Project, settings: SettingsWrapper, tmp_path: Path, request_log: RequestLog
) -> None:
    (project.source / "robots.txt").write_text("User-agent: *\nDisallow: /v1/\n")
    run_command("--noinput")
    v1 = stock_whitenoise_tree(settings, tmp_path / "v1")
    first = SyncIndex.from_bytes(project.read(INDEX_KEY))
    version_2(project.source)
    run_command("--noinput")
    settings.COLLECTSYNC_WORKERS = 1  # one copy at a time: those before the third are done
    restoring: list[str] = []

    def ctrl_c_at_the_third_restore(method: str, key: str, attempt: int) -> Action:
        name = key.removeprefix(f"{LOCATION}/")
        # Nothing is uploaded in a rollback: a PUT outside collectsync's own names is a copy.
        if method == "PUT" and not name.startswith(".collectsync-index.json"):
            restoring.append(name)
            if len(restoring) == 3:
                os.kill(os.getpid(), signal.SIGINT)
        return "pass"

    with (
        through_proxy(project, ctrl_c_at_the_third_restore) as proxy,
        pytest.raises(CommandError) as stopped,
    ):
        run_command("--noinput", "--rollback")
    settle(proxy)

    assert "rerun the rollback to finish it" in str(stopped.value)
    partial = SyncIndex.from_bytes(project.read(f"{INDEX_KEY}.partial"))
    index = SyncIndex.from_bytes(project.read(INDEX_KEY))
    assert index.doubt is not None
    assert partial.doubt == index.doubt
    done = restoring[:2]
    # The partial record says the first two hold release 1's bytes, as its record does.
    assert [partial.files[name].same_content(first.files[name]) for name in done] == [True, True]
    request_log.clear()

    run_command("--noinput", "--rollback")

    # What was in place already is not copied again.
    assert {f"{LOCATION}/{name}" for name in done} & request_log.keys("COPY") == set()
    assert request_log.keys("COPY")
    serves(project, v1)


def test_an_unwritable_report_after_a_rollback_is_one_sentence_saying_it_is_live(
    project: Project, tmp_path: Path
) -> None:
    deploy_first_and_second(project)
    report = tmp_path / "missing-folder" / "rollback.json"

    with pytest.raises(CommandError) as failed:
        run_command("--noinput", "--rollback", "--json-report", str(report))

    assert str(failed.value) == (
        f"Release 1 is live again, but the JSON report could not be written to '{report}' "
        "(No such file or directory); give --json-report a path in a writable folder."
    )
    assert SyncIndex.from_bytes(project.read(INDEX_KEY)).releases[-1].rollback_of == 1
