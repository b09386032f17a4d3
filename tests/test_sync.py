from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from collectsync.index import Entry, SyncIndex
from collectsync.plan import Plan, make_plan
from collectsync.remote import RemoteError
from collectsync.staging import StagedFile, StagedSet, describe
from collectsync.sync import Target, UploadFailed, apply_plan, read_index, with_partial_record
from tests.fakes import RecordingRemote
from tests.test_index import staged as staged_file


def unexpected(warning: str) -> None:
    raise AssertionError(f"unexpected warning: {warning}")


def deploy(
    plan: Plan,
    index: SyncIndex,
    target: Target,
    *,
    fingerprint: str | None = None,
    workers: int = 1,
    on_uploaded: Callable[[StagedFile], None] = lambda f: None,
    warn: Callable[[str], None] = unexpected,
) -> SyncIndex:
    return apply_plan(
        plan,
        index,
        target,
        fingerprint=fingerprint,
        compressor=None,
        workers=workers,
        on_uploaded=on_uploaded,
        warn=warn,
    )


def staged_set(root: Path, names: list[str]) -> StagedSet:
    for name in [*names, "staticfiles.json"]:
        (root / name).write_text(f"content of {name}")
    files = [describe(root, name) for name in names]
    return StagedSet(files, describe(root, "staticfiles.json"))


def test_content_first_then_manifest_then_index(tmp_path: Path) -> None:
    remote = RecordingRemote()
    plan = make_plan(staged_set(tmp_path, ["a.css", "b.js"]), SyncIndex(), force=False)

    deploy(
        plan,
        SyncIndex(),
        Target(remote, "index.json", remote, "staticfiles.json"),
        fingerprint="inputs-1",
        workers=4,
    )

    assert sorted(remote.writes[:2]) == ["a.css", "b.js"]
    assert remote.writes[2:] == ["staticfiles.json", "index.json"]
    written = SyncIndex.from_bytes(remote.objects["index.json"])
    assert set(written.files) == {"a.css", "b.js"}
    assert written.fingerprint == "inputs-1"
    assert written.manifest_name == "staticfiles.json"


def test_a_failed_upload_writes_neither_manifest_nor_index(tmp_path: Path) -> None:
    remote = RecordingRemote(failing={"b.js", "d.js"})
    plan = make_plan(
        staged_set(tmp_path, ["a.css", "b.js", "c.css", "d.js"]), SyncIndex(), force=False
    )
    uploaded: list[str] = []

    with pytest.raises(UploadFailed) as caught:
        deploy(
            plan,
            SyncIndex(),
            Target(remote, "index.json", remote, "staticfiles.json"),
            workers=2,
            on_uploaded=lambda f: uploaded.append(f.name),
        )

    assert str(caught.value).startswith(
        "2 files failed to upload; the first was 'b.js': injected failure for b.js."
    )
    assert sorted(remote.writes) == ["a.css", "c.css", "index.json.partial"]
    assert sorted(uploaded) == ["a.css", "c.css"]
    assert "staticfiles.json" not in remote.objects
    assert "index.json" not in remote.objects
    partial = SyncIndex.from_bytes(remote.objects["index.json.partial"])
    assert sorted(partial.files) == ["a.css", "c.css"]
    assert partial.generation == 0


def test_new_files_go_before_changed_ones(tmp_path: Path) -> None:
    staged = staged_set(tmp_path, ["changed.css", "new.css"])
    index = SyncIndex(generation=3).updated(
        [dataclasses.replace(staged.files[0], md5="0" * 32)], None
    )
    remote = RecordingRemote(failing={"new.css"})

    with pytest.raises(UploadFailed):
        deploy(
            make_plan(staged, index, force=False), index, Target(remote, "index.json"), workers=2
        )

    assert remote.writes == ["index.json.partial"]
    assert SyncIndex.from_bytes(remote.objects["index.json.partial"]).generation == 3


def test_a_partial_record_counts_only_while_its_generation_is_current() -> None:
    remote = RecordingRemote()
    target = Target(remote, "index.json")
    index = SyncIndex(generation=2)
    assert with_partial_record(target, index) == index

    partial = SyncIndex(generation=2).updated([staged_file("a.css")], None)
    remote.objects["index.json.partial"] = partial.to_bytes()
    assert set(with_partial_record(target, index).files) == {"a.css"}

    assert with_partial_record(target, SyncIndex(generation=3)) == SyncIndex(generation=3)
    remote.objects["index.json.partial"] = b"garbage"
    assert with_partial_record(target, index) == index


def test_each_successful_write_is_a_new_generation(tmp_path: Path) -> None:
    remote = RecordingRemote()
    plan = make_plan(staged_set(tmp_path, ["a.css"]), SyncIndex(generation=7), force=False)

    written = deploy(
        plan, SyncIndex(generation=7), Target(remote, "index.json", remote, "staticfiles.json")
    )

    assert written.generation == 8
    assert SyncIndex.from_bytes(remote.objects["index.json"]).generation == 8


def test_nothing_to_upload_writes_nothing(tmp_path: Path) -> None:
    remote = RecordingRemote()
    staged = staged_set(tmp_path, ["a.css"])
    index = SyncIndex().updated(staged.files, staged.manifest)

    deploy(make_plan(staged, index, force=False), index, Target(remote, "index.json"))

    assert remote.writes == []


def read(target: Target, *, verify: bool = False) -> tuple[SyncIndex, list[str], list[str]]:
    warnings: list[str] = []
    notes: list[str] = []
    return (
        read_index(target, verify=verify, warn=warnings.append, inform=notes.append),
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


def test_a_new_fingerprint_alone_rewrites_only_the_index(tmp_path: Path) -> None:
    remote = RecordingRemote()
    staged = staged_set(tmp_path, ["a.css"])
    index = SyncIndex().updated(staged.files, staged.manifest, fingerprint="inputs-1")

    deploy(
        make_plan(staged, index, force=False),
        index,
        Target(remote, "index.json"),
        fingerprint="inputs-2",
    )

    assert remote.writes == ["index.json"]
    assert SyncIndex.from_bytes(remote.objects["index.json"]).fingerprint == "inputs-2"


def test_a_deploy_that_lost_a_race_merges_what_both_can_vouch_for(tmp_path: Path) -> None:
    remote = RecordingRemote()
    staged = staged_set(tmp_path, ["shared.css", "mine.css"])
    mine = {f.name: f for f in staged.files}
    theirs = SyncIndex(
        {
            "shared.css": Entry("0" * 32, 1),  # they uploaded other bytes under this name
            "theirs.css": Entry("1" * 32, 2),
        },
        generation=5,
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
    assert written.generation == 6
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
        remote.objects["index.json"] = SyncIndex(generation=next(bumps)).to_bytes()

    remote.before_conditional_write = yet_another_deploy

    with pytest.raises(RemoteError, match=r"kept changing while this deploy ran \(3 attempts\)"):
        deploy(
            make_plan(staged_set(tmp_path, ["a.css"]), SyncIndex(), force=False),
            SyncIndex(),
            Target(remote, "index.json", remote, "staticfiles.json"),
            warn=lambda message: None,
        )


def test_stale_variants_are_deleted_after_new_files_and_before_changed_ones(
    tmp_path: Path,
) -> None:
    staged = staged_set(tmp_path, ["big.css", "new.css"])
    old = dataclasses.replace(staged.files[0], md5="0" * 32, variants=(".gz",))
    old_gz = dataclasses.replace(staged_file("big.css.gz"), source_md5="0" * 32)
    index = SyncIndex(generation=1).updated([old, old_gz], None)
    remote = RecordingRemote()
    remote.objects["big.css.gz"] = b"old bytes, compressed"
    written = deploy(
        make_plan(staged, index, force=False),
        index,
        Target(remote, "index.json", remote, "staticfiles.json"),
    )

    assert remote.events == [
        "write new.css",
        "delete big.css.gz",
        "write big.css",
        "write staticfiles.json",
        "write index.json",
    ]
    assert "big.css.gz" not in remote.objects
    assert "big.css.gz" not in written.files
    assert "big.css.gz" not in SyncIndex.from_bytes(remote.objects["index.json"]).files


def test_a_failure_after_deleting_stale_variants_records_that_they_are_gone(
    tmp_path: Path,
) -> None:
    staged = staged_set(tmp_path, ["big.css"])
    old = dataclasses.replace(staged.files[0], md5="0" * 32, variants=(".gz",))
    old_gz = dataclasses.replace(staged_file("big.css.gz"), source_md5="0" * 32)
    index = SyncIndex(generation=1).updated([old, old_gz], None)
    remote = RecordingRemote(failing={"big.css"})
    remote.objects["big.css.gz"] = b"old bytes, compressed"

    with pytest.raises(UploadFailed):
        deploy(make_plan(staged, index, force=False), index, Target(remote, "index.json"))

    assert "big.css.gz" not in remote.objects
    rerun = with_partial_record(Target(remote, "index.json"), index)
    assert set(rerun.files) == {"big.css"}
    assert rerun.files["big.css"].md5 == "0" * 32
