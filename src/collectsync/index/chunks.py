"""The record's files in chunks, each read when first looked at and written again only when
it changed: a deploy that changes a few of 20,000 sources touches a few chunks, not the
record of every file.

A file shares its chunk with its hashed copy and the compressed variants of both: the chunk
is chosen by the file's folder and the part of its name before the first dot.
"""

from __future__ import annotations

import gzip
import json
import posixpath
import zlib
from collections.abc import Mapping
from typing import Protocol

from collectsync.errors import DeployError
from collectsync.files import VARIANT_SUFFIXES, Entry

FILES_PER_CHUNK = 256
"""About 60 sources' worth: read in well under a millisecond, and still compressing well."""
GZIP_LEVEL = 6


class CorruptIndex(ValueError, DeployError):
    """The record's bytes are not a record collectsync can read."""


DAMAGE = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OSError,
    EOFError,
    zlib.error,
)
"""What reading damaged JSON or gzip raises."""


def damaged(part: str, error: Exception) -> CorruptIndex:
    """The sentence for a ``part`` of the record found damaged only once looked at."""
    return CorruptIndex(
        f"{part} in the sync index could not be read ({error!r}); delete the sync index "
        "from the remote and rerun: the deploy then compares with a listing instead."
    )


def group(name: str) -> str:
    """What ``css/site.css``, ``css/site.4f2a01b3c9d8.css`` and their ``.gz`` share."""
    folder, _, base = name.rpartition("/")
    return f"{folder}/{base.partition('.')[0]}"


def chunk_of(name: str, count: int) -> int:
    return zlib.crc32(group(name).encode()) % count


def chunk_count(files: int) -> int:
    """A power of two, so that the layout changes only when the tree grows or shrinks 4x."""
    count = 1
    while count * FILES_PER_CHUNK < files:
        count *= 2
    return count


def variant_base(name: str) -> str | None:
    for suffix in VARIANT_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


class Md5s(Protocol):
    """The record's sources, which a chunk's files may take their md5 from."""

    @property
    def basis(self) -> Md5s | None:
        """The sources these were made from by changing some (see recorded_sources.py)."""

    @property
    def altered(self) -> frozenset[str]:
        """The names whose md5 is not the basis's."""

    def md5_of(self, name: str) -> str | None: ...

    def md5s(self) -> Mapping[str, str]:
        """Every source's md5, by name."""


class SourcesCompared:
    """Which chunks (of ``count``) hold files that may take another md5 from one record's
    sources than from another's: those of a source whose md5 differs, or that only one has.
    Elsewhere a chunk packed with either reads the same with both."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._unlike: dict[tuple[int, int], set[int]] = {}

    def unlike(self, mine: Md5s, theirs: Md5s) -> set[int]:
        if mine is theirs:
            return set()
        key = (id(mine), id(theirs))
        if key not in self._unlike:
            names = {name for name, _ in mine.md5s().items() ^ theirs.md5s().items()}
            self._unlike[key] = {chunk_of(name, self.count) for name in names}
        return self._unlike[key]


SOURCE_MD5 = 0
"""Written for the md5 of a file that is its source's unchanged copy (``css/site.css``): the
record has that md5 with the source already."""
HASHED_SOURCE_MD5 = 1
"""Written for the md5 of the hashed copy of a source that post-processing did not change
(``css/site.4f2a01b3c9d8.css``): its source's md5 too."""


def unhashed(name: str) -> str | None:
    """The name ``name`` would be the hashed copy of (the hash taken out), in the same
    chunk: ``css/site.4f2a01b3c9d8.css`` is ``css/site.css``'s."""
    folder, slash, base = name.rpartition("/")
    root, ext = posixpath.splitext(base)
    stem, dot, file_hash = root.rpartition(".")
    return f"{folder}{slash}{stem}{ext}" if stem and dot and file_hash else None


def md5_written(name: str, entry: Entry, sources: Md5s | None) -> str | int | None:
    md5 = entry.md5
    if md5 is None or entry.left is not None or sources is None:
        return md5  # a file the latest deploy no longer has may outlive its source
    if md5 == sources.md5_of(name):
        return SOURCE_MD5
    source = unhashed(name)
    if source is not None and md5 == sources.md5_of(source):
        return HASHED_SOURCE_MD5
    return md5


def md5_read(name: str, written: object, sources: Md5s | None) -> str | None:
    if written is None or isinstance(written, str):
        return written
    if written not in (SOURCE_MD5, HASHED_SOURCE_MD5) or isinstance(written, bool):
        raise TypeError(f"bad md5 {written!r}")
    source = name if written == SOURCE_MD5 else unhashed(name)
    md5 = None if sources is None or source is None else sources.md5_of(source)
    if md5 is None:
        raise KeyError(f"no source md5 for {name!r}")
    return md5


def pack(entries: Mapping[str, Entry], sources: Md5s | None) -> tuple[bytes, bool]:
    """One chunk as a gzip member of JSON, and whether it takes md5s from ``sources``.

    Left out: trailing empty fields; a variant's source md5 when it is the md5 its file has
    in the same chunk; and the md5 of a file the latest deploy has, when it is its source's
    (the sources are written anyway, and a source changed is a chunk changed).
    """
    rows = {}
    leans = False
    for name in sorted(entries):
        entry = entries[name]
        md5 = md5_written(name, entry, sources)
        leans = leans or isinstance(md5, int)
        source_md5 = entry.source_md5
        base = entries.get(variant_base(name) or "")
        if entry.md5 is None and base is not None and base.md5 == source_md5:
            source_md5 = None  # no md5 and no source md5: the base's
        row = [md5, entry.size, source_md5, entry.variants, entry.left]
        while row[-1] is None:
            row.pop()
        rows[name] = row
    text = json.dumps(rows, separators=(",", ":")).encode()
    return gzip.compress(text, compresslevel=GZIP_LEVEL, mtime=0), leans


def unpack(packed: bytes, sources: Md5s | None) -> dict[str, Entry]:
    try:
        rows = json.loads(gzip.decompress(packed))
        md5s = {name: md5_read(name, row[0], sources) for name, row in rows.items()}
        entries = {}
        for name, row in rows.items():
            _, size, source_md5, variants, left = [*row, None, None, None][:5]
            if md5s[name] is None and source_md5 is None:
                source_md5 = md5s[variant_base(name) or ""]
            if not (isinstance(source_md5, str) or (source_md5 is None and md5s[name])):
                raise TypeError(f"bad entry {row!r}")
            entries[str(name)] = Entry(
                md5s[name],
                int(size),
                source_md5,
                None if variants is None else tuple(map(str, variants)),
                None if left is None else int(left),
            )
        return entries
    except DAMAGE as error:
        raise damaged("A chunk of the files", error) from error


class Chunk:
    """One chunk: its gzip member as read or written (with the sources it takes md5s from),
    its entries once parsed. Never changed once shared: a changed chunk is a new one."""

    __slots__ = ("count", "entries", "leans", "live", "packed", "sources")

    def __init__(
        self,
        *,
        packed: bytes | None = None,
        entries: dict[str, Entry] | None = None,
        sources: Md5s | None = None,
        leans: bool = False,
        count: int = 0,
        live: int = 0,
    ) -> None:
        self.packed = packed
        self.entries = entries
        self.sources = sources
        self.leans = leans
        if entries is not None:
            count = len(entries)
            live = sum(1 for entry in entries.values() if entry.left is None)
        self.count = count
        self.live = live

    def files(self) -> dict[str, Entry]:
        if self.entries is None:
            assert self.packed is not None
            self.entries = unpack(self.packed, self.sources)
        return self.entries

    def packed_for(self, sources: Md5s | None, changed: bool) -> Chunk:
        """This chunk as the record with ``sources`` writes it; ``changed`` if those may give
        one of its files another md5 than the sources it was packed with."""
        if self.packed is not None and (not self.leans or not changed):
            return self
        packed, leans = pack(self.files(), sources)
        if self.packed is None:  # not shared with a record already written: fill it in
            self.packed, self.sources, self.leans = packed, sources, leans
            return self
        return Chunk(packed=packed, entries=self.entries, sources=sources, leans=leans)
