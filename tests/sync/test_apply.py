"""Publish: content first, stale variants before the names they belong to, then the manifest,
then the record; nothing switched when anything fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from collectsync.index.releases import Release
from collectsync.index.stored import Target
from collectsync.index.sync_index import SyncIndex
from collectsync.index.unfinished import with_partial_index
from collectsync.sync.apply import UploadFailed
from collectsync.sync.plan import make_plan
from tests.support.fakes import RecordingRemote
from tests.support.staged import deploy, staged_set
from tests.support.staged import staged as staged_file

RELEASE_1 = Release(1, "2026-12-06T00:00:00Z", "0.3.0", "host", None, None)


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
    assert partial.release_number == 0


def test_new_files_go_before_changed_ones(tmp_path: Path) -> None:
    staged = staged_set(tmp_path, ["changed.css", "new.css"])
    index = SyncIndex(release_number=3).updated(
        [dataclasses.replace(staged.files[0], md5="0" * 32)], None
    )
    remote = RecordingRemote(failing={"new.css"})

    with pytest.raises(UploadFailed):
        deploy(
            make_plan(staged, index, force=False), index, Target(remote, "index.json"), workers=2
        )

    # Not changed.css; nor a partial record, which would hold nothing the index doesn't.
    assert remote.writes == []


def test_each_successful_write_is_a_new_generation(tmp_path: Path) -> None:
    remote = RecordingRemote()
    plan = make_plan(staged_set(tmp_path, ["a.css"]), SyncIndex(release_number=7), force=False)

    written = deploy(
        plan, SyncIndex(release_number=7), Target(remote, "index.json", remote, "staticfiles.json")
    )

    assert written.release_number == 8
    assert SyncIndex.from_bytes(remote.objects["index.json"]).release_number == 8


def test_nothing_to_upload_writes_nothing(tmp_path: Path) -> None:
    remote = RecordingRemote()
    staged = staged_set(tmp_path, ["a.css"])
    index = SyncIndex().updated(staged.files, staged.manifest)

    deploy(make_plan(staged, index, force=False), index, Target(remote, "index.json"))

    assert remote.writes == []


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


def test_stale_variants_are_deleted_after_new_files_and_before_changed_ones(
    tmp_path: Path,
) -> None:
    staged = staged_set(tmp_path, ["big.css", "new.css"])
    old = dataclasses.replace(staged.files[0], md5="0" * 32, variants=(".gz",))
    old_gz = dataclasses.replace(staged_file("big.css.gz"), source_md5="0" * 32)
    index = SyncIndex(release_number=1, releases=(RELEASE_1,)).updated([old, old_gz], None)
    remote = RecordingRemote()
    remote.objects.update({"big.css": b"old bytes", "big.css.gz": b"old bytes, compressed"})
    written = deploy(
        make_plan(staged, index, force=False),
        index,
        Target(remote, "index.json", remote, "staticfiles.json"),
    )

    archive = "index.json.releases/" + "0" * 32
    assert remote.events == [
        "write new.css",
        # The bytes about to be overwritten or deleted, kept for a rollback.
        f"copy big.css {archive}/big.css",
        f"copy big.css.gz {archive}/big.css.gz",
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
    index = SyncIndex(release_number=1, releases=(RELEASE_1,)).updated([old, old_gz], None)
    remote = RecordingRemote(failing={"big.css"})
    remote.objects.update({"big.css": b"old bytes", "big.css.gz": b"old bytes, compressed"})

    with pytest.raises(UploadFailed):
        deploy(make_plan(staged, index, force=False), index, Target(remote, "index.json"))

    assert "big.css.gz" not in remote.objects
    rerun = with_partial_index(Target(remote, "index.json"), index)
    # And the copies kept for a rollback, so that the rerun knows them.
    archive = "index.json.releases/" + "0" * 32
    assert set(rerun.files) == {"big.css", f"{archive}/big.css", f"{archive}/big.css.gz"}
    assert rerun.files["big.css"].md5 == "0" * 32
