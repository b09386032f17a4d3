"""Where a rollback finds the bytes it copies back, and what a deploy copies aside for it:
the archive, or a hashed name that holds the same bytes (index/releases.py)."""

from __future__ import annotations

import dataclasses
import hashlib

from collectsync.files import Entry, Source
from collectsync.index.chunks import chunk_of
from collectsync.index.recorded_files import Files
from collectsync.index.releases import archived_name, hashed_twin
from collectsync.index.sync_index import SyncIndex
from collectsync.sync.archive import plan_archiving
from collectsync.sync.restore import plan_restore

INDEX = ".collectsync-index.json"
OLD, NEW = hashlib.md5(b"old").hexdigest(), hashlib.md5(b"new").hexdigest()


def index(files: dict[str, Entry], release_number: int = 2) -> SyncIndex:
    return SyncIndex(files=files, release_number=release_number)


def test_the_hashed_twin_is_named_as_django_names_it() -> None:
    assert hashed_twin("js/app.js", Entry(OLD, 3)) == f"js/app.{OLD[:12]}.js"
    assert hashed_twin("js/app.js.gz", Entry(None, 2, OLD)) == f"js/app.{OLD[:12]}.js.gz"
    assert hashed_twin("LICENSE", Entry(OLD, 3)) == f"LICENSE.{OLD[:12]}"
    # A file whose name ends like a variant is one only if it was compressed from another.
    assert hashed_twin("data.gz", Entry(OLD, 3)) == f"data.{OLD[:12]}.gz"


def test_a_deploy_copies_aside_only_what_no_live_hashed_name_holds() -> None:
    twin = f"js/app.{OLD[:12]}.js"
    current = {"js/app.js": Entry(OLD, 3), "css/site.css": Entry(OLD, 3)}
    files = {**current, twin: Entry(OLD, 3), f"css/site.{NEW[:12]}.css": Entry(NEW, 5)}

    archiving = plan_archiving(index(files), current, INDEX, 3)

    site = archived_name(INDEX, "css/site.css", Entry(OLD, 3))
    assert archiving.copies == [("css/site.css", site)]
    assert archiving.entries == {site: Entry(OLD, 3, left=3)}


def test_a_twin_that_is_overwritten_too_or_holds_other_bytes_holds_nothing() -> None:
    twin = f"js/app.{OLD[:12]}.js"
    current = {"js/app.js": Entry(OLD, 3), twin: Entry(OLD, 3)}
    other_size = {"js/app.js": Entry(OLD, 3), twin: Entry(OLD, 4)}

    copied = plan_archiving(index(current), current, INDEX, 3).copies
    differing = plan_archiving(index(other_size), {"js/app.js": Entry(OLD, 3)}, INDEX, 3).copies

    assert {name for name, _ in copied} == {"js/app.js", twin}
    assert [name for name, _ in differing] == ["js/app.js"]


def test_a_rollback_copies_from_the_archive_or_else_from_the_twin() -> None:
    old_twin, new_twin = f"js/app.{OLD[:12]}.js", f"js/app.{NEW[:12]}.js"
    archived_css = archived_name(INDEX, "css/site.css", Entry(OLD, 3))
    then = index(
        {"js/app.js": Entry(OLD, 3), "css/site.css": Entry(OLD, 3), old_twin: Entry(OLD, 3)}, 1
    )
    live = index(
        {
            "js/app.js": Entry(NEW, 3),
            "css/site.css": Entry(NEW, 3),
            new_twin: Entry(NEW, 3),
            old_twin: Entry(OLD, 3, left=2),
            archived_css: Entry(OLD, 3, left=2),
        }
    )

    restoration = plan_restore(live, then, INDEX, 3)

    assert restoration.missing == []
    assert sorted(restoration.restores) == sorted(
        [(archived_css, "css/site.css"), (old_twin, "js/app.js")]
    )
    # The live bytes of js/app.js stay in its hashed name; site.css's are copied aside.
    assert [name for name, _ in restoration.archiving.copies] == ["css/site.css"]
    assert restoration.files[new_twin] == Entry(NEW, 3, left=3)


def test_without_the_archive_or_the_twin_the_bytes_are_missing() -> None:
    then = index({"js/app.js": Entry(OLD, 3)}, 1)
    live = index({"js/app.js": Entry(NEW, 3)})

    assert plan_restore(live, then, INDEX, 3).missing == ["js/app.js"]


def scripts(count: int, edited: dict[int, str], release_number: int) -> SyncIndex:
    """A record of ``count`` scripts, each with its hashed twin, read back from its bytes;
    script n's bytes are ``edited[n]`` if given, else its first release's; the twins of
    earlier bytes stay (retiring), and the unhashed bytes overwritten are archived."""
    files, sources = {}, {}
    for number in range(count):
        name = f"js/app-{number}.js"
        md5 = hashlib.md5(edited.get(number, f"v1 {number}").encode()).hexdigest()
        first = hashlib.md5(f"v1 {number}".encode()).hexdigest()
        sources[name] = Source(md5, f"js/app-{number}.{md5[:12]}.js")
        files[name] = Entry(md5, 40)
        files[f"js/app-{number}.{md5[:12]}.js"] = Entry(md5, 40)
        if md5 != first:
            files[f"js/app-{number}.{first[:12]}.js"] = Entry(first, 40, left=release_number)
            files[archived_name(INDEX, name, Entry(first, 40))] = Entry(first, 40, left=2)
    record = SyncIndex(files=files, sources=sources, release_number=release_number)
    return SyncIndex.from_bytes(record.to_bytes())


def test_a_rollback_plans_only_the_chunks_that_differ_and_plans_them_as_all() -> None:
    then = scripts(600, {}, 1)
    live = scripts(600, {7: "v2", 300: "v2"}, 2)

    restoration = plan_restore(live, then, INDEX, 3)

    unread = sum(chunk.entries is None for chunk in live.chunked.chunks)
    whole = dataclasses.replace(live, files=Files.of(dict(live.files.items())))
    assert restoration == plan_restore(whole, then, INDEX, 3)
    assert restoration.restores == [
        (archived_name(INDEX, f"js/app-{n}.js", then.files[f"js/app-{n}.js"]), f"js/app-{n}.js")
        for n in (300, 7)
    ]
    assert restoration.missing == []
    # Of eight chunks, those of the two scripts and of their archived bytes differ; the
    # plan looked into two more (the live bytes' archived names), and no further.
    assert len(live.chunked.unlike(then.chunked)) == 4
    assert unread == 2


def test_a_rollback_restores_a_file_whose_entry_differs_only_by_its_source() -> None:
    # Without post-processing both records write robots.txt's entry alike, its md5 taken
    # from its source's.
    old, new = hashlib.md5(b"old").hexdigest(), hashlib.md5(b"new").hexdigest()
    archived = archived_name(INDEX, "robots.txt", Entry(old, 25))
    others = {f"img/{n}.png": Entry(f"{n:032x}", 9) for n in range(600)}
    then = SyncIndex(
        files={**others, "robots.txt": Entry(old, 25)}, sources={"robots.txt": Source(old, None)}
    )
    live = SyncIndex(
        files={**others, "robots.txt": Entry(new, 25), archived: Entry(old, 25, left=2)},
        sources={"robots.txt": Source(new, None)},
        release_number=2,
    )
    then, live = (SyncIndex.from_bytes(index.to_bytes()) for index in (then, live))
    robots = chunk_of("robots.txt", len(live.chunked.chunks))
    assert robots != chunk_of(archived, len(live.chunked.chunks))
    assert live.chunked.chunks[robots].packed == then.chunked.chunks[robots].packed

    assert plan_restore(live, then, INDEX, 3).restores == [(archived, "robots.txt")]


def test_under_another_compressor_a_variant_alike_in_both_records_is_restored() -> None:
    md5 = hashlib.md5(b"body{}").hexdigest()
    twin = f"css/site.{md5[:12]}.css"
    files = {
        "css/site.css": Entry(md5, 6, variants=(".gz",)),
        "css/site.css.gz": Entry(None, 26, md5),
        twin: Entry(md5, 6, variants=(".gz",)),
        twin + ".gz": Entry(None, 26, md5),
    }
    then = SyncIndex(files=files, compressor="gzip 1", release_number=1)
    live = SyncIndex(files=files, compressor="gzip 2", release_number=2)
    then, live = (SyncIndex.from_bytes(index.to_bytes()) for index in (then, live))

    restoration = plan_restore(live, then, INDEX, 3)

    # A variant recorded without its md5 has the earlier release's bytes only if the same
    # compressor made it: nothing in the remote can be vouched for, so the plan is refused.
    assert restoration.restores == []
    assert restoration.missing == [twin + ".gz", "css/site.css.gz"]
