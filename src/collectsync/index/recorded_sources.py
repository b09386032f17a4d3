"""The record's sources: one row per source (name, md5, hashed name, references), sorted by
name, read when first looked at.

On the wire they are two members: all rows as some deploy wrote them, and the rows changed
(or dropped) since. A deploy adds what it changed to the second and writes the first as it
read it, until the changes reach a twentieth of the sources: then it writes them all anew.
"""

from __future__ import annotations

import bisect
import gzip
import itertools
import json
import operator
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from collectsync.files import Source
from collectsync.index.chunks import DAMAGE, damaged

GZIP_LEVEL = 1
"""For all the rows, written when the changes have piled up: a third of level 6's time."""
REWRITE_SHARE = 20
"""The rows are written anew when more than one in this many changed since."""

FIRST, SECOND, THIRD = (operator.itemgetter(column) for column in range(3))

Row = list[Any]
"""[name, md5, hashed name, references] (references by name, left out when there are none)."""


class RecordedSources(Mapping[str, Source]):
    def __init__(
        self,
        *,
        packed: bytes | None = None,
        changes: dict[str, Row | None] | None = None,
        rows: list[Row] | None = None,
        basis: RecordedSources | None = None,
        altered: frozenset[str] = frozenset(),
    ) -> None:
        assert packed is not None or rows is not None
        self.packed = packed
        """All rows, as some deploy wrote them: None until written."""
        self.changes = changes or {}
        """The rows changed since, by name; None for a source dropped."""
        self._rows = rows
        self._names: list[str] | None = None
        self.basis = basis
        """The sources these were made from by changing some, if they were."""
        self.altered = altered
        """The names whose md5 is not the basis's."""

    @classmethod
    def of(cls, sources: Mapping[str, Source]) -> RecordedSources:
        if isinstance(sources, RecordedSources):
            return sources
        return cls(rows=[row(name, sources[name]) for name in sorted(sources)])

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            assert self.packed is not None
            self._rows, self._names = applied(unpack(self.packed), self.changes)
        return self._rows

    @property
    def names(self) -> list[str]:
        if self._names is None:
            self._names = [row[0] for row in self.rows]
        return self._names

    def _row(self, name: str) -> Row | None:
        at = bisect.bisect_left(self.names, name)
        return self.rows[at] if at < len(self.names) and self.names[at] == name else None

    def __getitem__(self, name: str) -> Source:
        found = self._row(name)
        if found is None:
            raise KeyError(name)
        return Source(found[1], found[2], tuple(found[3]) if len(found) > 3 else ())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._row(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.rows)

    def md5_of(self, name: str) -> str | None:
        found = self._row(name)
        return None if found is None else str(found[1])

    def md5s(self) -> dict[str, str]:
        return dict(zip(self.names, map(SECOND, self.rows), strict=True))

    def hashed_names(self) -> dict[str, str | None]:
        return dict(zip(self.names, map(THIRD, self.rows), strict=True))

    def references(self) -> dict[str, list[str]]:
        """Each source that refers to others: the sources it refers to."""
        return {row[0]: row[3] for row in self.rows if len(row) > 3}

    def changed(self, put: Mapping[str, Source], drop: Iterable[str] = ()) -> RecordedSources:
        """These sources with ``put`` set and ``drop`` gone; the other rows shared."""
        changes: dict[str, Row | None] = {name: None for name in drop if name in self}
        altered = set(changes)
        for name, source in put.items():
            changes[name] = row(name, source)
            altered.update([name] if self.md5_of(name) != source.md5 else [])
        rows, names = applied(self.rows, changes, self.names)
        changed = RecordedSources(
            packed=self.packed,
            changes={**self.changes, **changes},
            rows=rows,
            basis=self,
            altered=frozenset(altered),
        )
        changed._names = names
        return changed

    def packed_members(self) -> tuple[bytes, bytes]:
        """All rows, and the rows changed since, as gzipped JSON. With all rows, references
        apart, by row (a source referred to by its position among them)."""
        if self.packed is None or len(self.changes) * REWRITE_SHARE > len(self.rows):
            positions = {name: at for at, name in enumerate(self.names)}
            references = {
                at: [positions.get(ref, ref) for ref in found[3]]
                for at, found in enumerate(self.rows)
                if len(found) > 3
            }
            written = {"rows": [found[:3] for found in self.rows], "references": references}
            self.packed, self.changes = compressed(written, GZIP_LEVEL), {}
        changes = [found or [name] for name, found in sorted(self.changes.items())]
        return self.packed, compressed(changes, 6)


def compressed(value: object, level: int) -> bytes:
    text = json.dumps(value, separators=(",", ":")).encode()
    return gzip.compress(text, compresslevel=level, mtime=0)


def applied(
    rows: list[Row], changes: Mapping[str, Row | None], names: list[str] | None = None
) -> tuple[list[Row], list[str]]:
    """``rows`` (and their ``names``) with ``changes`` made: sorted still."""
    rows = list(rows)
    names = [found[0] for found in rows] if names is None else list(names)
    for name, found in changes.items():
        at = bisect.bisect_left(names, name)
        present = at < len(names) and names[at] == name
        if found is None and present:
            del rows[at], names[at]
        elif found is not None and present:
            rows[at] = found
        elif found is not None:
            rows.insert(at, found)
            names.insert(at, name)
    return rows, names


def row(name: str, source: Source) -> Row:
    if source.refs:
        return [name, source.md5, source.hashed, list(source.refs)]
    return [name, source.md5, source.hashed]


def unpack(packed: bytes) -> list[Row]:
    try:
        written = json.loads(gzip.decompress(packed))
        rows, references = written["rows"], written["references"]
        # Checked column by column, where the interpreter loops fastest.
        if type(rows) is not list or set(map(type, rows)) - {list} or set(map(len, rows)) - {3}:
            raise TypeError("the sources are not rows of three")
        if set(map(type, itertools.chain.from_iterable(rows))) - {str, type(None)}:
            raise TypeError("a source's name, md5 or hashed name is not a string")
        names = list(map(FIRST, rows))
        if None in names or None in map(SECOND, rows) or names != sorted(names):
            raise ValueError("the sources are not named, md5ed and in order")
        for position, refs in references.items():
            rows[int(position)].append([names[ref] if type(ref) is int else ref for ref in refs])
        return list(rows)
    except DAMAGE as error:
        raise damaged("The sources", error) from error


def unpack_changes(packed: bytes) -> dict[str, Row | None]:
    try:
        written = json.loads(gzip.decompress(packed))
        changes: dict[str, Row | None] = {}
        for found in written:
            if type(found) is not list or type(found[0]) is not str:
                raise TypeError(f"bad change {found!r}")
            if len(found) > 1:
                check_row(found)
            changes[found[0]] = found if len(found) > 1 else None
        return changes
    except DAMAGE as error:
        raise damaged("The sources", error) from error


def check_row(found: Row) -> None:
    name, md5, hashed = found[:3]
    if type(name) is not str or type(md5) is not str or not (hashed is None or type(hashed) is str):
        raise TypeError(f"bad source {found!r}")
    if len(found) > 3 and {type(ref) for ref in found[3]} - {str}:
        raise TypeError(f"bad source {found!r}")
