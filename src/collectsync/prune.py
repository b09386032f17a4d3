"""Prune: which remote objects belong to none of the deploys worth keeping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from collectsync.index import SyncIndex


@dataclass(frozen=True)
class Pruning:
    stale: list[str]
    """Remote objects to delete, sorted."""
    index: SyncIndex
    """The record without them, nor any entry of a file that is already gone."""


def plan_pruning(
    index: SyncIndex, remote_names: Iterable[str], *, keep_deploys: int, protected: set[str]
) -> Pruning:
    """What to delete so that only the last ``keep_deploys`` deploys' files remain.

    ``index`` describes the live deploy (its generation is the newest). A remote object the
    record does not know belongs to no recorded deploy, so it is stale too; ``protected``
    names (the record itself, the manifest) never are.
    """
    oldest_kept = index.generation - keep_deploys + 1
    present = set(remote_names)
    stale = sorted(
        name
        for name in present - protected
        if name not in index.files or index.files[name].deployed < oldest_kept
    )
    forgotten = [
        name
        for name, entry in index.files.items()
        if entry.deployed < oldest_kept or name not in present
    ]
    return Pruning(stale, index.without([*stale, *forgotten]))
