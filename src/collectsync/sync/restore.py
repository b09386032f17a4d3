"""Restore: what a rollback copies back from the archive, deletes and keeps, so that every name
an earlier release left in the remote holds that release's bytes again."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Container
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from collectsync.files import Entry
from collectsync.index.chunks import variant_base
from collectsync.index.releases import (
    Release,
    Stamp,
    appended,
    archive_prefix,
    archived_name,
    hashed_twin,
)
from collectsync.index.stored import RemoteIndex, Target, write_index
from collectsync.index.sync_index import SyncIndex
from collectsync.index.unfinished import begin_overwriting, write_partial
from collectsync.interrupts import checkpoint
from collectsync.sync.archive import Archiving, archive_index, copy_all, plan_archiving


@dataclass(frozen=True)
class Restoration:
    restores: list[tuple[str, str]]
    """(archived name, name) for each content name whose bytes differ now."""
    manifest: tuple[str, str] | None
    """The manifest's restore, made last: the switch."""
    deletions: list[str]
    """Variants the live release has for a name whose bytes in the earlier one had none."""
    archiving: Archiving
    """The live bytes about to be overwritten or deleted, kept for a later rollback."""
    files: dict[str, Entry]
    """What the index records afterwards, where it differs from now: the names above, and
    the live release's others (retiring)."""
    missing: list[str]
    """Names of the earlier release whose bytes the remote no longer holds (pruned)."""

    settles_doubt: bool = False
    """Whether a run that stopped left names in doubt, which the new index no longer names."""

    @property
    def changes_nothing(self) -> bool:
        """Whether the remote and its index are as the rollback would leave them already."""
        writes = self.restores or self.deletions or self.archiving.copies or self.files
        return not writes and self.manifest is None and not self.settles_doubt

    @property
    def copies(self) -> list[tuple[str, str]]:
        """Every copy, in the order made: the live bytes aside, the restores, the manifest."""
        manifest = [self.manifest] if self.manifest else []
        return [*self.archiving.copies, *self.restores, *manifest]

    @property
    def copy_count(self) -> int:
        return len(self.copies)

    @property
    def overwrites(self) -> list[str]:
        """The names whose bytes the rollback replaces or deletes: in doubt until it ends."""
        return (
            [name for _, name in self.restores]
            + self.deletions
            + ([self.manifest[1]] if self.manifest else [])
        )

    @property
    def changed(self) -> list[str]:
        """The names whose bytes change or go away."""
        names = [name for _, name in self.restores] + self.deletions
        return sorted(names + ([self.manifest[1]] if self.manifest else []))


def plan_restore(index: SyncIndex, then: SyncIndex, index_name: str, number: int) -> Restoration:
    """How to make release ``then`` (its index as archived) live again as release ``number``,
    given the live ``index``."""
    own = archive_prefix(index_name)
    same_compressor = then.compressor == index.compressor
    # A name's files share its chunk, so each pair of chunks is planned on its own, and the
    # pairs alike in both records not at all. A variant recorded without its md5 is the same
    # only if the same compressor made it: else every file is compared.
    pairs = index.chunked.unlike(then.chunked) if same_compressor else [(index.files, then.files)]
    files: dict[str, Entry] = {}
    overwritten: dict[str, Entry] = {}
    deletions = []
    changing: dict[str, tuple[Entry, Entry | None]] = {}
    for live_files, then_files in pairs:
        wanted = {
            name: entry
            for name, entry in then_files.items()
            if entry.left is None and not name.startswith(own)
        }
        for name, now in live_files.items():
            if now.left is not None or name in wanted or name.startswith(own):
                continue
            owner = variant_base(name)
            if owner is not None and owner in wanted:
                deletions.append(name)  # it would be served for bytes it wasn't made from
                overwritten[name] = now
            else:
                files[name] = dataclasses.replace(now, left=number)
        for name, want in wanted.items():
            live = live_files.get(name)
            if live is not None and live.same_content(want) and (want.md5 or same_compressor):
                # Only what changes: the index's untouched chunks stay as read.
                if live.variants != want.variants or live.left is not None:
                    files[name] = dataclasses.replace(live, variants=want.variants, left=None)
            else:
                changing[name] = (want, live)
    changing = dict(sorted(changing.items()))
    overwritten.update({name: e for name, (_, e) in changing.items() if e is not None})
    restores, missing = [], []
    for name, (then_had, _) in changing.items():
        source = holding(index, name, then_had, index_name, {*changing, *deletions})
        if source is None:
            missing.append(name)
            continue
        restores.append((source, name))
        files[name] = dataclasses.replace(then_had, left=None)
    manifest = None
    if then.manifest is not None and then.manifest_name is not None:
        name = then.manifest_name
        if index.manifest != then.manifest or index.manifest_name != name:
            archived = index.files.get(archived_name(index_name, name, then.manifest))
            if archived is None or not archived.same_content(then.manifest):
                missing.append(name)
            manifest = (archived_name(index_name, name, then.manifest), name)
            if index.manifest is not None and index.manifest_name == name:
                overwritten[name] = index.manifest
    # A variant a run that stopped may have written, of a name the earlier release has
    # without it: it would be served for bytes it wasn't made from.
    for name in sorted(index.doubt.names if index.doubt else ()):
        owner = variant_base(name)
        owned = then.files.get(owner) if owner is not None else None
        had = then.files.get(name)
        if owned is not None and owned.left is None and (had is None or had.left is not None):
            deletions.append(name)
    archiving = plan_archiving(index, overwritten, index_name, number)
    return Restoration(
        restores,
        manifest,
        sorted(set(deletions)),
        archiving,
        files,
        missing,
        settles_doubt=index.doubt is not None,
    )


def holding(
    index: SyncIndex, name: str, want: Entry, index_name: str, changing: Container[str]
) -> str | None:
    """The name in the remote that holds ``want``, the bytes ``name`` had: its archived copy,
    or else its hashed twin, unless the rollback overwrites or deletes that too."""
    for source in (archived_name(index_name, name, want), hashed_twin(name, want)):
        held = index.files.get(source) if source is not None else None
        if held is not None and held.same_content(want) and source not in changing:
            return source
    return None


def apply_restoration(
    target: Target,
    record: RemoteIndex,
    then: SyncIndex,
    restoration: Restoration,
    *,
    stamp: Stamp,
    rollback_of: int,
    workers: int,
    warn: Callable[[str], None],
) -> Release | None:
    """Make the rollback's copies and deletions, its manifest last, then write the index of
    the new release, ``then``'s files live again; the release written."""
    index, content = record.index, target.content
    # The live release's bytes first: until the manifest is copied, it stays whole. Its
    # index meanwhile, as the next release's will replace it.
    with ThreadPoolExecutor(1, "collectsync-index") as pool:
        archiving = pool.submit(archive_index, target, index, record.read_as)
        copy_all(content, restoration.archiving.copies, workers=workers)
    archived = archiving.result()
    kept = restoration.archiving.entries
    overwriting = begin_overwriting(target, record, restoration.overwrites, kept)
    index = dataclasses.replace(index, files=index.chunked.changed(kept), doubt=overwriting.doubt)
    restored: dict[str, Entry] = {}
    deleted: list[str] = []
    try:
        content.delete(restoration.deletions)
        deleted = restoration.deletions
        copy_all(
            content,
            restoration.restores,
            workers=workers,
            on_copied=lambda name: restored.__setitem__(name, restoration.files[name]),
        )
        checkpoint()  # the last moment at which stopping leaves the live release as it was
        if restoration.manifest is not None:
            content.copy(*restoration.manifest)
    except BaseException:
        # What the rerun must know: which names hold the earlier release's bytes already
        # (it copies only the others) and which are gone; the rest stay in doubt.
        after = index.without(deleted)
        write_partial(target, dataclasses.replace(after, files=after.chunked.changed(restored)))
        raise
    number = index.release_number + 1
    done = stamp.release(
        number,
        then.manifest,
        deleted=len(restoration.deletions),
        copied=restoration.copy_count + len(archived),
        rollback_of=rollback_of,
    )
    files = index.chunked.changed(
        {**restoration.files, **kept, **archived}, drop=restoration.deletions
    )
    same = then.compressor == index.compressor
    live = dataclasses.replace(
        then,
        files=files,
        compressor=then.compressor if same else None,
        release_number=number,
        releases=appended(index.releases, done),
        doubt=None,
    )
    return write_index(target, live, warn, overwriting.meanwhile).live_release
