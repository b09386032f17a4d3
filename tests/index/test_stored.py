"""The record in the remote: reading it, a failed deploy's partial record, merging after a
lost race."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from collectsync.errors import RemoteError
from collectsync.files import Entry
from collectsync.index.stored import Target, read_index
from collectsync.index.sync_index import SyncIndex
from collectsync.index.unfinished import with_partial_index
from collectsync.sync.plan import make_plan
from tests.support.fakes import RecordingRemote
from tests.support.staged import deploy, staged_set
from tests.support.staged import staged as staged_file


def test_a_partial_record_counts_only_while_its_generation_is_current() -> None:
    remote = RecordingRemote()
    target = Target(remote, "index.json")
    index = SyncIndex(release_number=2)
    assert with_partial_index(target, index) == index

    partial = SyncIndex(release_number=2).updated([staged_file("a.css")], None)
    remote.objects["index.json.partial"] = partial.to_bytes()
    assert set(with_partial_index(target, index).files) == {"a.css"}

    assert with_partial_index(target, SyncIndex(release_number=3)) == SyncIndex(release_number=3)
    remote.objects["index.json.partial"] = b"garbage"
    assert with_partial_index(target, index) == index


def read(target: Target, *, verify: bool = False) -> tuple[SyncIndex, list[str], list[str]]:
    warnings: list[str] = []
    notes: list[str] = []
    return (
        read_index(target, verify=verify, warn=warnings.append, inform=notes.append).index,
        warnings,
        notes,
    )


def test_a_corrupt_record_is_reported_and_rebuilt_from_a_listing() -> None:
    remote = RecordingRemote()
    remote.objects["index.json"] = b"garbage"
    remote.objects["a.css"] = b"body {}"

    index, warnings, notes = read(Target(remote, "index.json"))

    assert index.files == {"a.css": Entry(hashlib.md5(b"body {}").hexdigest(), 7)}
    assert warnings == [
        "The sync index 'index.json' in memory://test is unusable (it could not be read "
        "(JSONDecodeError('Expecting value: line 1 column 1 (char 0)'))); it will be rebuilt."
    ]
    assert notes == [
        "No usable sync index in memory://test: compared the staged files with a listing of "
        "its 2 objects instead."
    ]


def test_a_record_is_checked_against_a_listing_only_when_asked() -> None:
    remote = RecordingRemote()
    remote.objects["kept.css"] = b"kept"
    recorded = SyncIndex(
        {
            "kept.css": Entry(hashlib.md5(b"kept").hexdigest(), 4),
            "deleted.css": Entry("0" * 32, 3),
        },
        fingerprint="inputs",
    )
    remote.objects["index.json"] = recorded.to_bytes()

    assert read(Target(remote, "index.json"))[0] == recorded
    verified = read(Target(remote, "index.json"), verify=True)[0]
    assert set(verified.files) == {"kept.css"}
    assert verified.fingerprint is None


def test_an_empty_remote_is_a_first_deploy_without_a_note() -> None:
    assert read(Target(RecordingRemote(), "index.json")) == (SyncIndex(), [], [])


def test_a_deploy_that_lost_a_race_merges_what_both_can_vouch_for(tmp_path: Path) -> None:
    remote = RecordingRemote()
    staged = staged_set(tmp_path, ["shared.css", "mine.css"])
    mine = {f.name: f for f in staged.files}
    theirs = SyncIndex(
        {
            "shared.css": Entry("0" * 32, 1),  # they uploaded other bytes under this name
            "theirs.css": Entry("1" * 32, 2),
        },
        release_number=5,
    )

    def another_deploy_finishes_first(remote: RecordingRemote) -> None:
        if remote.objects.get("index.json") is None:
            remote.objects["index.json"] = theirs.to_bytes()

    remote.read("index.json")  # this deploy read "no index"
    remote.before_conditional_write = another_deploy_finishes_first
    warnings: list[str] = []

    written = deploy(
        make_plan(staged, SyncIndex(), force=False),
        SyncIndex(),
        Target(remote, "index.json", remote, "staticfiles.json"),
        fingerprint="mine",
        workers=2,
        warn=warnings.append,
    )

    assert set(written.files) == {"mine.css", "theirs.css"}
    assert written.files["mine.css"].md5 == mine["mine.css"].md5
    assert written.manifest is None
    assert written.fingerprint is None
    assert written.release_number == 6
    assert SyncIndex.from_bytes(remote.objects["index.json"]) == written
    assert warnings == [
        "Another deploy updated the sync index in memory://test while this one ran; the two "
        "records were merged. The manifest written last is the live one: rerun this deploy "
        "if it must be live."
    ]


def test_an_index_that_keeps_changing_is_an_error(tmp_path: Path) -> None:
    remote = RecordingRemote()
    remote.read("index.json")
    bumps = iter(range(100))

    def yet_another_deploy(remote: RecordingRemote) -> None:
        remote.objects["index.json"] = SyncIndex(release_number=next(bumps)).to_bytes()

    remote.before_conditional_write = yet_another_deploy

    with pytest.raises(RemoteError, match=r"kept changing while this deploy ran \(3 attempts\)"):
        deploy(
            make_plan(staged_set(tmp_path, ["a.css"]), SyncIndex(), force=False),
            SyncIndex(),
            Target(remote, "index.json", remote, "staticfiles.json"),
            warn=lambda message: None,
        )
