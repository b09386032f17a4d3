"""The record's files in chunks: a deploy reads and writes the chunks of what it changed."""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json
import random
import zlib
from collections.abc import Mapping
from pathlib import Path

import pytest

from collectsync.files import Entry, Source, StagedFile
from collectsync.index.chunks import FILES_PER_CHUNK, CorruptIndex, chunk_of, group
from collectsync.index.recorded_files import Files
from collectsync.index.sync_index import SyncIndex


def tree(sources: int) -> SyncIndex:
    """A record of ``sources`` stylesheets as a deploy writes it: each with its hashed copy,
    and the two compressed variants of both."""
    staged, recorded = [], {}
    for number in range(sources):
        name = f"css/site-{number}.css"
        md5 = f"{number:032x}"
        hashed = f"css/site-{number}.{md5[:12]}.css"
        recorded[name] = Source(md5, hashed)
        for output in (name, hashed):
            staged.append(StagedFile(output, Path(output), md5, 900, variants=(".br", ".gz")))
            staged += [
                StagedFile(output + suffix, Path(output), f"{suffix}{md5}"[:32], 300, md5)
                for suffix in (".br", ".gz")
            ]
    return SyncIndex().updated(staged, None, release_number=1, sources=recorded)


def members(data: bytes) -> list[bytes]:
    """The record's members after the head: the sources (all rows, then the changes), then
    the chunks."""
    reader = zlib.decompressobj(wbits=31)
    head = json.loads(reader.decompress(data))
    rest = reader.unused_data
    found, offset = [], 0
    for length in [*(head["sources"] or [0, 0]), *(row[0] for row in head["chunks"])]:
        found.append(rest[offset : offset + length])
        offset += length
    return found


def test_a_file_its_hashed_copy_and_their_variants_share_a_chunk() -> None:
    names = ["css/site.css", "css/site.4f2a01b3c9d8.css", "css/site.css.gz", "css/site.css.br"]

    assert {group(name) for name in names} == {"css/site"}
    assert len({chunk_of(name, 64) for name in names}) == 1


def test_reading_the_record_parses_only_the_chunks_looked_at() -> None:
    index = tree(500)
    read = SyncIndex.from_bytes(index.to_bytes())
    chunks = read.chunked.chunks

    assert len(chunks) == 16  # 3,000 files, 256 to a chunk, a power of two
    assert read.release_number == 1
    assert len(read.files) == 3000
    assert read.live_count == 3000
    assert all(chunk.entries is None for chunk in chunks)
    assert read.files["css/site-7.css"] == index.files["css/site-7.css"]
    assert sum(chunk.entries is not None for chunk in chunks) == 1
    assert dict(read.files.items()) == dict(index.files.items())
    assert read.sources == index.sources


def test_the_files_items_are_each_name_with_its_entry_chunk_by_chunk() -> None:
    files = SyncIndex.from_bytes(tree(300).to_bytes()).files

    assert list(files.items()) == [(name, files[name]) for name in files]
    assert len(files.items()) == 1800
    assert ("css/site-7.css", files["css/site-7.css"]) in files.items()
    assert ("css/site-7.css", files["css/site-8.css"]) not in files.items()


def test_a_deploy_that_changes_one_source_writes_one_chunk_again() -> None:
    before = SyncIndex.from_bytes(tree(500).to_bytes())
    md5 = "f" * 32
    edited = [
        StagedFile("css/site-7.css", Path("x"), md5, 901),
        StagedFile("css/site-7.ffffffffffff.css", Path("x"), md5, 901),
    ]
    old_hashed = "css/site-7.000000000000.css"
    assert before.recorded_sources is not None

    after = before.updated(
        edited,
        None,
        release_number=2,
        sources=before.sources,
        retiring=[old_hashed, old_hashed + ".br", old_hashed + ".gz"],
    )
    written = after.to_bytes()

    old, new = members(before.to_bytes()), members(written)
    assert len(old) == len(new) == 18  # the sources' two, then the chunks
    assert old[0] == new[0]  # all rows as read; the one changed is in the changes after it
    assert [a == b for a, b in zip(old[2:], new[2:], strict=True)].count(False) == 1
    read = SyncIndex.from_bytes(written)
    assert read.files["css/site-7.css"] == Entry(md5, 901)
    assert read.files[old_hashed].left == 2
    assert read.files[old_hashed].last_release(2) == 1
    assert read.files["css/site-8.css"].left is None
    assert read.live_count == 3000 - 3 + 1


def test_a_variant_is_written_without_the_md5_its_file_has() -> None:
    index = tree(1)
    chunk = members(index.to_bytes())[2]
    rows = json.loads(gzip.decompress(chunk))

    assert rows["css/site-0.css.gz"] == [None, 300]
    assert SyncIndex.from_bytes(index.to_bytes()).files["css/site-0.css.gz"] == Entry(
        None, 300, "0" * 32
    )


def test_the_layout_follows_the_tree_when_it_grows_or_shrinks_fourfold() -> None:
    small = Files.of({f"img/{n}.png": Entry("0" * 32, 1) for n in range(FILES_PER_CHUNK)})
    grown = small.changed({f"img/{n}.png": Entry("1" * 32, 1) for n in range(5 * FILES_PER_CHUNK)})
    shrunk = grown.changed(
        {}, drop=[f"img/{n}.png" for n in range(FILES_PER_CHUNK, 5 * FILES_PER_CHUNK)]
    )

    assert len(small.chunks) == 1
    assert len(grown.chunks) == 8
    assert len(shrunk.chunks) == 1
    assert set(shrunk) == {f"img/{n}.png" for n in range(FILES_PER_CHUNK)}


def test_a_damaged_chunk_is_one_sentence_when_looked_at() -> None:
    data = bytearray(tree(500).to_bytes())
    data[-40:-30] = b"\x00" * 10  # inside the last chunk: its gzip check fails
    read = SyncIndex.from_bytes(bytes(data))

    with pytest.raises(
        CorruptIndex, match=r"^A chunk of the files in the sync index could not be read"
    ):
        dict(read.files.items())


def test_a_record_cut_short_is_refused_when_read() -> None:
    data = tree(50).to_bytes()

    with pytest.raises(CorruptIndex, match="its length is not the length its head gives"):
        SyncIndex.from_bytes(data[:-10])


def test_a_record_read_back_after_deploys_holds_what_each_wrote() -> None:
    """Sources changed, added and deleted over a dozen deploys (one staged without a
    record of its sources), each record written and read back: its files and sources are
    exactly those of a plain model, whichever chunks were kept as read."""
    rng = random.Random(7)
    model: dict[str, Entry] = {}
    sources: dict[str, Source] = {}
    index = SyncIndex()
    serial = itertools.count()
    for release_number in range(1, 13):
        names = sorted(sources)
        changed = rng.sample(names, min(len(names), rng.randint(0, 5)))
        deleted = rng.sample(sorted(set(names) - set(changed)), min(len(names) // 10, 3))
        adding = 400 if release_number == 1 else rng.randint(1, 40)  # 8 chunks, then some more
        added = [f"img/{rng.choice('abc')}/{next(serial)}.png" for _ in range(adding)]
        staged, retiring = [], []
        for name in [*changed, *deleted]:
            old = sources[name].hashed or name
            retiring += [old, old + ".gz", *([name, name + ".gz"] if name in deleted else [])]
        put = {}
        for name in [*changed, *added]:
            md5 = f"{next(serial):032x}"
            hashed = f"{name[:-4]}.{md5[-12:]}.png"
            put[name] = Source(md5, hashed)
            for output in (name, hashed):
                staged.append(StagedFile(output, Path(output), md5, 9, variants=(".gz",)))
                staged.append(StagedFile(output + ".gz", Path(output), md5[::-1], 3, md5))
        for name in retiring:
            if name in model and model[name].left is None:
                model[name] = dataclasses.replace(model[name], left=release_number)
        for file in staged:
            recorded_md5 = None if file.source_md5 else file.md5
            model[file.name] = Entry(recorded_md5, file.size, file.source_md5, file.variants)
        sources = {name: s for name, s in sources.items() if name not in deleted} | put
        recorded = index.recorded_sources
        after: Mapping[str, Source] | None
        if release_number == 6:
            after = None  # a deploy that could not watch staging records no sources
        elif recorded is None:
            after = dict(sources)
        else:
            after = recorded.changed(put, drop=deleted)
        index = SyncIndex.from_bytes(
            index.updated(
                staged, None, release_number=release_number, sources=after, retiring=retiring
            ).to_bytes()
        )

        assert len(index.chunked.chunks) >= 8
        assert dict(index.files.items()) == model
        assert index.sources == (None if after is None else sources)
        assert index.live_count == sum(entry.left is None for entry in model.values())


def edited(before: SyncIndex, number: int, release_number: int) -> SyncIndex:
    """``before`` after a deploy that changed stylesheet ``number`` (see tree())."""
    name, md5 = f"css/site-{number}.css", f"f{number:031x}"
    hashed = f"css/site-{number}.{md5[:12]}.css"
    assert before.recorded_sources is not None
    old = before.recorded_sources[name].hashed
    assert old is not None
    return before.updated(
        [StagedFile(name, Path(name), md5, 901), StagedFile(hashed, Path(name), md5, 901)],
        None,
        release_number=release_number,
        sources=before.recorded_sources.changed({name: Source(md5, hashed)}),
        retiring=[old, old + ".br", old + ".gz"],
    )


def test_two_records_are_compared_only_in_the_chunks_that_differ() -> None:
    first = SyncIndex.from_bytes(tree(500).to_bytes())
    second = SyncIndex.from_bytes(edited(first, 7, 2).to_bytes())
    first = SyncIndex.from_bytes(first.to_bytes())

    pairs = second.chunked.unlike(first.chunked)

    assert len(pairs) == 1
    mine, theirs = pairs[0]
    assert mine["css/site-7.css"] != theirs["css/site-7.css"]
    assert mine.keys() - theirs.keys() == {"css/site-7.f00000000000.css"}
    assert mine["css/site-7.000000000000.css"].left == 2
    # The other fifteen chunks of each were not even read.
    assert sum(chunk.entries is not None for chunk in second.chunked.chunks) == 1
    assert sum(chunk.entries is not None for chunk in first.chunked.chunks) == 1


def test_chunks_alike_in_bytes_differ_where_their_sources_do() -> None:
    # Without post-processing a file's name stays when its bytes change: its entry takes
    # its md5 from its source's, so both records write the chunk alike.
    old, new = "0" * 32, "f" * 32
    first, second = (
        SyncIndex(files={"robots.txt": Entry(md5, 25)}, sources={"robots.txt": Source(md5, None)})
        for md5 in (old, new)
    )
    first, second = (SyncIndex.from_bytes(index.to_bytes()) for index in (first, second))
    assert members(first.to_bytes())[2:] == members(second.to_bytes())[2:]

    pairs = second.chunked.unlike(first.chunked)

    assert [(dict(mine), dict(theirs)) for mine, theirs in pairs] == [
        ({"robots.txt": Entry(new, 25)}, {"robots.txt": Entry(old, 25)})
    ]
    assert first.chunked.unlike(SyncIndex.from_bytes(first.to_bytes()).chunked) == []


def test_records_of_other_layouts_are_compared_whole() -> None:
    small, large = tree(10), SyncIndex.from_bytes(tree(500).to_bytes())

    assert large.chunked.unlike(small.chunked) == [(large.files, small.files)]


def test_chunks_are_written_as_read_with_other_sources_that_agree_on_them() -> None:
    # As a rollback writes the live files with the earlier release's sources.
    first = SyncIndex.from_bytes(tree(500).to_bytes())
    second = SyncIndex.from_bytes(edited(first, 7, 2).to_bytes())

    written = dataclasses.replace(first, files=second.files).to_bytes()

    chunks = zip(members(written)[2:], members(second.to_bytes())[2:], strict=True)
    assert [a == b for a, b in chunks] == [
        number != chunk_of("css/site-7.css", 16) for number in range(16)
    ]
    assert sum(chunk.entries is not None for chunk in second.chunked.chunks) == 1
    assert dict(SyncIndex.from_bytes(written).files.items()) == dict(second.files.items())
