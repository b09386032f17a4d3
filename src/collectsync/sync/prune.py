"""Prune: delete the remote objects that belong to none of the deploys worth keeping."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from collectsync.errors import ConcurrentUpdate
from collectsync.index.stored import Target
from collectsync.index.sync_index import SyncIndex


@dataclass(frozen=True)
class Pruning:
    stale: list[str]
    """Remote objects to delete, sorted."""
    index: SyncIndex
    """The record without them, nor any entry of a file that is already gone."""


def plan_pruning(
    index: SyncIndex, remote_names: Iterable[str], *, keep_releases: int, protected: set[str]
) -> Pruning:
    """What to delete so that only the last ``keep_releases`` deploys' files remain.

    ``index`` describes the live deploy (its release_number is the newest). A remote object the
    record does not know belongs to no recorded deploy, so it is stale too; ``protected``
    names (the record itself, the manifest) never are.
    """
    oldest_kept = index.release_number - keep_releases + 1
    present = set(remote_names)
    stale = sorted(
        name
        for name in present - protected
        if name not in index.files
        or index.files[name].last_release(index.release_number) < oldest_kept
    )
    forgotten = [
        name
        for name, entry in index.files.items()
        if entry.last_release(index.release_number) < oldest_kept or name not in present
    ]
    return Pruning(stale, index.without([*stale, *forgotten]))


def prune(
    target: Target,
    index: SyncIndex,
    *,
    keep_releases: int,
    dry_run: bool,
    warn: Callable[[str], None],
) -> list[str]:
    """Delete what belongs to none of the last ``keep_releases`` deploys; return those names.

    ``index`` must be the record of the live deploy, already written. The record is rewritten
    without the stale files before any is deleted, so it never vouches for a deleted file.
    """
    protected = {target.index_name, target.partial_name}
    if target.manifest is target.content and target.manifest_name:
        protected.add(target.manifest_name)
    pruning = plan_pruning(
        index, target.content.names(), keep_releases=keep_releases, protected=protected
    )
    if dry_run:
        return pruning.stale
    if pruning.index != index:
        # The live release's record counts what its --prune deleted too.
        written = pruning.index
        live = written.live_release
        if live is not None and pruning.stale:
            counted = dataclasses.replace(live, deleted=live.deleted + len(pruning.stale))
            written = dataclasses.replace(written, releases=(*written.releases[:-1], counted))
        try:
            target.content.write_bytes(target.index_name, written.to_bytes(), if_unchanged=True)
        except ConcurrentUpdate:
            warn(
                f"Another deploy updated the sync index in {target.content.destination} while "
                "this one ran, so nothing was pruned; run --prune again once it has finished."
            )
            return []
    target.content.delete(pruning.stale)
    return pruning.stale
