"""Archive: before a release overwrites or deletes an unhashed name, copy its bytes aside,
server-side, so that a rollback to an earlier release can copy them back (see
index/releases.py for where they go and how long they stay)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from collectsync.errors import ConcurrentUpdate
from collectsync.files import Entry
from collectsync.index.releases import archived_index_name, archived_name, hashed_twin
from collectsync.index.stored import Target
from collectsync.index.sync_index import SyncIndex
from collectsync.remote.base import Remote


@dataclass(frozen=True)
class Archiving:
    copies: list[tuple[str, str]]
    """(name, archived name) for the bytes the archive doesn't hold yet."""
    entries: dict[str, Entry]
    """What the index records of the archive afterwards (the copies and those already there)."""

    @property
    def names(self) -> list[str]:
        return sorted({name for name, _ in self.copies})


def plan_archiving(
    index: SyncIndex, current: Mapping[str, Entry], index_name: str, number: int
) -> Archiving:
    """What to copy aside before release ``number`` overwrites or deletes the ``current``
    objects (name: the entry the index has for it). Bytes the archive holds already are not
    copied again: their entry just says they were live until now. Nor are bytes a hashed
    twin holds that stays at least as long (see index/releases.py)."""
    copies: list[tuple[str, str]] = []
    entries: dict[str, Entry] = {}
    for name, entry in sorted(current.items()):
        key = archived_name(index_name, name, entry)
        left = entry.left if entry.left is not None else number
        kept = index.files.get(key)
        if kept is not None and kept.same_content(entry):
            entries[key] = dataclasses.replace(kept, left=max(kept.left or 0, left))
            continue
        twin = hashed_twin(name, entry)
        held = index.files.get(twin) if twin is not None and twin not in current else None
        if held is not None and held.same_content(entry) and (held.left or left + 1) >= left:
            continue  # a live twin is kept by --prune as long as its release is
        copies.append((name, key))
        entries[key] = Entry(entry.md5, entry.size, entry.source_md5, None, left)
    return Archiving(copies, entries)


def copy_all(
    remote: Remote,
    copies: list[tuple[str, str]],
    *,
    workers: int,
    on_copied: Callable[[str], None] | None = None,
) -> None:
    """Make each copy (source, name), telling ``on_copied`` each name copied; raise the
    first failure once all have been tried. Interrupted, none not yet started is."""
    if not copies:
        return

    def copy(source: str, name: str) -> None:
        remote.copy(source, name)
        if on_copied is not None:
            on_copied(name)

    pool = ThreadPoolExecutor(min(workers, len(copies)), "collectsync-copy")
    try:
        done = [pool.submit(copy, source, name) for source, name in copies]
        pool.shutdown(wait=True)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    for future in done:
        future.result()


def archive_index(target: Target, index: SyncIndex, read_as: Entry | None) -> dict[str, Entry]:
    """Copy the index that describes the live release aside before the next one replaces it,
    only if it is still the version read (``read_as``); the entry to record, if copied."""
    if read_as is None or index.live_release is None:
        return {}  # nothing read, or an index from before releases were recorded
    name = archived_index_name(target.index_name, index.release_number)
    with contextlib.suppress(ConcurrentUpdate):  # another deploy's write will be merged
        target.content.copy(target.index_name, name, if_source_unchanged=True)
        return {name: dataclasses.replace(read_as, left=index.release_number + 1)}
    return {}
