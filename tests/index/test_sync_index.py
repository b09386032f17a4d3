from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from collectsync.files import Entry, Listed, StagedFile
from collectsync.index.sync_index import SyncIndex
from collectsync.index.wire import CorruptIndex
from tests.support.staged import staged


def test_round_trip_keeps_files_and_manifest() -> None:
    index = SyncIndex().updated([staged("css/a.css"), staged("b b#?%é.js", "b" * 32, 0)], None)
    index = index.updated(
        [], staged("staticfiles.json", "c" * 32, 10), fingerprint="f1", compressor="z"
    )

    assert SyncIndex.from_bytes(index.to_bytes()) == index
    assert index.manifest == Entry("c" * 32, 10)
    assert index.manifest_name == "staticfiles.json"
    assert index.fingerprint == "f1"
    assert index.compressor == "z"


def test_updating_keeps_entries_of_files_no_longer_staged() -> None:
    index = SyncIndex().updated([staged("old.css")], None)

    assert set(index.updated([staged("new.css")], None).files) == {"old.css", "new.css"}


def test_holds_only_identical_bytes_under_the_same_name() -> None:
    index = SyncIndex().updated([staged("a.css")], None)

    assert index.holds(staged("a.css"))
    assert not index.holds(staged("a.css", md5="f" * 32))
    assert not index.holds(staged("a.css", size=4))
    assert not index.holds(staged("b.css"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "could not be read"),
        (b"[]", "could not be read"),
        (b'{"format": "something-else", "version": 2}', "not a version 3 collectsync index"),
        (b'{"format": "collectsync-index", "version": 1}', "not a version 3 collectsync index"),
        (b'{"format": "collectsync-index", "version": 99}', "not a version 3"),
        (b'{"format": "collectsync-index", "version": 2, "files": {"a": 5}}', "could not be"),
        (
            b'{"format": "collectsync-index", "version": 2, "files": {"a": [1, 2, null, null]}}',
            "could not be read",
        ),
        (b'{"format": "collectsync-index", "version": 2, "files": {}}', "could not be read"),
        (
            b'{"format": "collectsync-index", "version": 2, "files": {}, "manifest": null, '
            b'"fingerprint": 5, "compressor": null}',
            "fingerprint, compressor or settings is not a string",
        ),
    ],
)
def test_corrupt_documents_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(CorruptIndex, match=reason):
        SyncIndex.from_bytes(data)


def test_variants_are_held_only_for_the_same_source_and_compressor() -> None:
    source = StagedFile("a.css", Path("a.css"), "1" * 32, 10, variants=(".br", ".gz"))
    gz = StagedFile("a.css.gz", Path("a.css.gz"), "2" * 32, 5, source_md5="1" * 32)
    br = StagedFile("a.css.br", Path("a.css.br"), "3" * 32, 4, source_md5="1" * 32)
    index = SyncIndex().updated([source, gz, br], None, compressor="c1")

    assert index.holds_variants_of("a.css", "1" * 32, "c1")
    assert not index.holds_variants_of("a.css", "1" * 32, "c2")
    assert not index.holds_variants_of("a.css", "9" * 32, "c1")
    assert not index.holds_variants_of("b.css", "1" * 32, "c1")
    stale_gz = StagedFile("a.css.gz", Path("a.css.gz"), "4" * 32, 5, source_md5="8" * 32)
    assert not index.updated([stale_gz], None, compressor="c1").holds_variants_of(
        "a.css", "1" * 32, "c1"
    )


def test_variants_recorded_earlier_survive_a_run_that_did_not_compress() -> None:
    compressed = StagedFile("a.css", Path("a.css"), "1" * 32, 10, variants=(".gz",))
    index = SyncIndex().updated([compressed], None)

    not_compressed = StagedFile("a.css", Path("a.css"), "1" * 32, 10)
    assert index.updated([not_compressed], None).files["a.css"].variants == (".gz",)
    edited = StagedFile("a.css", Path("a.css"), "2" * 32, 10)
    assert index.updated([edited], None).files["a.css"].variants is None


def test_merging_keeps_what_both_agree_on() -> None:
    mine = SyncIndex().updated([staged("a.css"), staged("both.css"), staged("clash.css")], None)
    mine = mine.updated([], staged("staticfiles.json", "9" * 32), compressor="z")
    theirs = SyncIndex(release_number=4).updated(
        [staged("b.css"), staged("both.css"), staged("clash.css", md5="e" * 32)],
        staged("staticfiles.json", "9" * 32),
        compressor="z",
    )

    merged = mine.merged_with(theirs)

    assert set(merged.files) == {"a.css", "b.css", "both.css"}
    assert merged.manifest_name == "staticfiles.json"
    assert merged.compressor == "z"
    assert merged.release_number == 5
    assert {entry.last_release(merged.release_number) for entry in merged.files.values()} == {5}
    other_manifest = theirs.updated([], staged("staticfiles.json", "8" * 32), compressor="y")
    assert mine.merged_with(other_manifest).manifest is None
    assert mine.merged_with(other_manifest).compressor is None


def test_a_variant_is_recorded_by_its_source_and_held_only_for_the_same_compressor() -> None:
    gz = StagedFile(
        "a.css.gz", Path("/nowhere/a.css.gz"), md5="9" * 32, size=20, source_md5="1" * 32
    )
    index = SyncIndex(compressor="c1").updated([gz], None, compressor="c1")

    assert index.files["a.css.gz"].md5 is None
    assert SyncIndex.from_bytes(index.to_bytes()) == index
    assert index.holds(gz, "c1")
    assert not index.holds(gz, "c2")
    assert not index.holds(gz)
    assert not index.holds(dataclasses.replace(gz, source_md5="2" * 32), "c1")
    assert not index.holds(dataclasses.replace(gz, size=21), "c1")


def test_a_variant_recorded_by_its_source_is_checked_against_a_listing_by_size() -> None:
    gz = StagedFile(
        "a.css.gz", Path("/nowhere/a.css.gz"), md5="9" * 32, size=20, source_md5="1" * 32
    )
    index = SyncIndex().updated([gz], None)

    assert index.verified({"a.css.gz": Listed(20, "9" * 32)}).files == index.files
    assert index.verified({"a.css.gz": Listed(21, "9" * 32)}).files == {}


def test_variants_kept_for_the_same_bytes_stay_in_a_deploy_staged_whole() -> None:
    css = StagedFile("a.css", Path("/a.css"), "1" * 32, 10, variants=(".gz",))
    gz = StagedFile("a.css.gz", Path("/a.css.gz"), "2" * 32, 5, source_md5="1" * 32)
    index = SyncIndex().updated([css, gz], None, release_number=1)
    # Staged whole again, the remote's variants kept instead of compressing the same bytes.
    again = dataclasses.replace(css, variants=None)

    after = index.updated([again], None, release_number=2, retiring=None)

    # Still the live deploy's, so --prune keeps them.
    assert after.files["a.css.gz"].left is None
    assert after.files["a.css"].variants == (".gz",)
