"""Doubt: the names a run that writes to the remote may have left holding other bytes than the
sync index says, written into the index before the run's first overwrite.

A deploy or a rollback overwrites names the live release serves (unhashed names, their
variants, the manifest) before it writes the index that describes them. If it stops in
between, the index still describes the live release while some of those names hold the new
bytes, or the old, or none. So before its first overwrite the run writes the index again, as
it was read, naming what it is about to overwrite or delete; the index it writes at the end
names nothing. Until a run ends well, every run of any kind reads the names as unknown: a
deploy stages and uploads them again, a rollback copies them back, and nothing takes the
shortcut of a deploy that finds nothing changed.

The partial record that a run which fails leaves (``<index>.partial``) says which of those
names it did finish. It names the attempt it belongs to, and is believed about the names in
doubt only while the index names the same attempt: a later run that began overwriting has
written another, so what the record says of them may no longer hold.

This module imports nothing else of the package, so every layer can import it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Doubt:
    attempt: str
    """Which run wrote it: a random token, new with each run that begins overwriting."""
    names: frozenset[str]
    """The names that may hold other bytes than the index records, or none at all."""

    @classmethod
    def begun(cls, names: Iterable[str], earlier: Doubt | None) -> Doubt:
        """The doubt of a run about to overwrite ``names``, while ``earlier`` is still open."""
        kept = earlier.names if earlier is not None else frozenset()
        return cls(secrets.token_hex(8), kept.union(names))

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def to_json(self) -> dict[str, Any]:
        return {"attempt": self.attempt, "names": sorted(self.names)}

    @classmethod
    def from_json(cls, document: object) -> Doubt | None:
        """Raises TypeError or KeyError for anything but what to_json() wrote, or None."""
        if document is None:
            return None
        if not isinstance(document, dict):
            raise TypeError("doubt is not an object")
        attempt, names = document["attempt"], document["names"]
        if not isinstance(attempt, str) or not all(isinstance(name, str) for name in names):
            raise TypeError("doubt's attempt or names are not strings")
        return cls(attempt, frozenset(names))


def same_attempt(mine: Doubt | None, theirs: Doubt | None) -> bool:
    """Whether two records speak of the same run's doubt (or both of none)."""
    return (mine.attempt if mine else None) == (theirs.attempt if theirs else None)
