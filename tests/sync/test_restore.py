"""Where a rollback finds the bytes it copies back, and what a deploy copies aside for it:
the archive, or a hashed name that holds the same bytes (index/releases.py)."""

from __future__ import annotations

import hashlib

from collectsync.files import Entry
from collectsync.index.releases import archived_name, hashed_twin
from collectsync.index.sync_index import SyncIndex
from collectsync.sync.archive import plan_archiving
from collectsync.sync.restore import plan_restore

INDEX = ".collectsync-index.json"
OLD, NEW = hashlib.md5(b"old").hexdigest(), hashlib.md5(b"new").hexdigest()


def index(files: dict[str, Entry], generation: int = 2) -> SyncIndex:
    return SyncIndex(files=files, generation=generation)


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
