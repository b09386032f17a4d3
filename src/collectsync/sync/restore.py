"""Restore: what a rollback copies back from the archive, deletes and keeps, so that every name
an earlier release left in the remote holds that release's bytes again."""

from __future__ import annotations

import dataclasses
from collections.abc import Container
from dataclasses import dataclass

from collectsync.files import Entry
from collectsync.index.chunks import variant_base
from collectsync.index.releases import archive_prefix, archived_name, hashed_twin
from collectsync.index.sync_index import SyncIndex
from collectsync.sync.archive import Archiving, plan_archiving


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

    @property
    def changes_nothing(self) -> bool:
        """Whether the remote and its index are as the rollback would leave them already."""
        writes = self.restores or self.deletions or self.archiving.copies or self.files
        return not writes and self.manifest is None

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
    archiving = plan_archiving(index, overwritten, index_name, number)
    return Restoration(restores, manifest, sorted(deletions), archiving, files, missing)


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
