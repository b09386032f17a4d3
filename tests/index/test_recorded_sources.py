"""The record's sources: rows read when first looked at, changed row by row."""

from __future__ import annotations

import gzip
import json

import pytest

from collectsync.files import Source
from collectsync.index.chunks import CorruptIndex
from collectsync.index.recorded_sources import RecordedSources, unpack_changes

SOURCES = {
    "css/site.css": Source("1" * 32, "css/site.111111111111.css", ("img/logo.png", "../out.png")),
    "img/logo.png": Source("2" * 32, "img/logo.222222222222.png"),
    "js/app.js": Source("3" * 32, None),
}


def read_back(sources: RecordedSources) -> RecordedSources:
    rows, changes = sources.packed_members()
    return RecordedSources(packed=rows, changes=unpack_changes(changes))


def test_sources_read_back_as_written() -> None:
    packed, _ = RecordedSources.of(SOURCES).packed_members()
    rows = json.loads(gzip.decompress(packed))
    read = read_back(RecordedSources.of(SOURCES))

    # A reference to another source is its position; one to a name outside them stays a name.
    assert rows["rows"][0] == ["css/site.css", "1" * 32, "css/site.111111111111.css"]
    assert rows["references"] == {"0": [1, "../out.png"]}
    assert dict(read) == SOURCES
    assert read.md5_of("img/logo.png") == "2" * 32
    assert read.md5_of("img/missing.png") is None
    assert read.references() == {"css/site.css": ["img/logo.png", "../out.png"]}
    assert read.hashed_names()["js/app.js"] is None


def test_changing_sources_keeps_the_other_rows_and_names_what_changed() -> None:
    read = read_back(RecordedSources.of(SOURCES))

    changed = read.changed(
        {
            "css/site.css": Source("1" * 32, "css/site.111111111111.css", ("img/new.png",)),
            "img/logo.png": Source("9" * 32, "img/logo.999999999999.png"),
            "img/new.png": Source("4" * 32, "img/new.444444444444.png"),
        },
        drop=["js/app.js", "js/never-there.js"],
    )

    assert list(changed) == ["css/site.css", "img/logo.png", "img/new.png"]
    assert changed.altered == {"img/logo.png", "img/new.png", "js/app.js"}
    assert changed.basis is read
    assert changed["css/site.css"].refs == ("img/new.png",)
    assert read_back(changed) == changed
    assert dict(read) == SOURCES  # the sources read are as they were


@pytest.mark.parametrize(
    ("rows", "references"),
    [
        ([["b.css", "1" * 32, None], ["a.css", "2" * 32, None]], {}),
        ([["a.css", 5, None]], {}),
        ([["a.css", None, None]], {}),
        ([["a.css", "1" * 32, None]], {"0": [7]}),
        ([["a.css", "1" * 32, None]], {"1": [0]}),
        ({"a.css": "1" * 32}, {}),
    ],
)
def test_damaged_sources_are_one_sentence(rows: object, references: object) -> None:
    packed = gzip.compress(json.dumps({"rows": rows, "references": references}).encode())

    with pytest.raises(CorruptIndex, match=r"^The sources in the sync index could not be read"):
        RecordedSources(packed=packed).md5s()


def test_a_deploy_writes_the_rows_as_read_until_a_twentieth_changed() -> None:
    many = {f"img/{n:03}.png": Source(f"{n:032x}", f"img/{n:03}.{n:012x}.png") for n in range(100)}
    read = read_back(RecordedSources.of(many))
    rows, _ = read.packed_members()

    def edited(sources: RecordedSources, *numbers: int) -> RecordedSources:
        return read_back(
            sources.changed({f"img/{n:03}.png": Source("f" * 32, None) for n in numbers})
        )

    once = edited(read, 1)
    five = edited(edited(once, 2, 3), 4, 5)
    six = edited(five, 6)

    assert once.packed_members()[0] == rows
    assert five.packed_members()[0] == rows
    assert json.loads(gzip.decompress(five.packed_members()[1]))[0][0] == "img/001.png"
    assert six.packed_members()[0] != rows
    assert json.loads(gzip.decompress(six.packed_members()[1])) == []
    assert dict(six) == {
        **many,
        **{f"img/{n:03}.png": Source("f" * 32, None) for n in range(1, 7)},
    }
