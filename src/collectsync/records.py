"""Records that several layers pass around: what was staged, and what a listing shows.

This module imports nothing else of the package, so every layer can import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VARIANT_SUFFIXES = (".br", ".gz")
"""The compressed variants Whitenoise writes next to a file: ``x.css.br``, ``x.css.gz``."""


@dataclass(frozen=True, slots=True)
class StagedFile:
    name: str
    """Posix path relative to the storage's root: the name the remote will know it by."""
    path: Path
    md5: str
    size: int
    source_md5: str | None = None
    """For a compressed variant: the md5 of the staged file it was made from."""
    variants: tuple[str, ...] | None = None
    """For a file compressed in this run: the suffixes of the variants that came out."""
    immutable: bool = False
    """A hashed name (or a variant of one): its content never changes under this name."""


@dataclass(frozen=True)
class StagedSet:
    files: list[StagedFile]
    """Every staged file except the manifest, sorted by name."""
    manifest: StagedFile | None
    variants_kept: frozenset[str] = frozenset()
    """Files not compressed because the remote holds their variants for the same content."""
    sources: dict[str, Source] | None = None
    """What the record should keep of each source, if staging could tell."""

    @property
    def compression_skipped(self) -> int:
        return len(self.variants_kept)


@dataclass(frozen=True, slots=True)
class Listed:
    """An object as a listing shows it."""

    size: int
    md5: str | None
    """None when the listing can't tell (S3 multipart or KMS-encrypted objects)."""


@dataclass(frozen=True, slots=True)
class Entry:
    md5: str | None
    """None for a compressed variant collectsync made: its bytes follow from its source's and
    the compressor, and leaving out its md5 keeps the record a third smaller."""
    size: int
    source_md5: str | None = None
    """For a compressed variant (``x.css.gz``): the md5 of the file it was made from."""
    variants: tuple[str, ...] | None = None
    """For a file that was compressed: the suffixes of the variants that came out."""
    deployed: int = 0
    """The generation of the last deploy that had this file; --prune keeps the recent ones."""

    def to_json(self) -> list[Any]:
        return [self.md5, self.size, self.source_md5, self.variants, self.deployed]

    @classmethod
    def from_json(cls, value: list[Any]) -> Entry:
        md5, size, source_md5, variants, deployed = value
        if not (isinstance(md5, str) or isinstance(source_md5, str)):
            raise TypeError(f"bad entry {value!r}")
        if not all(value is None or isinstance(value, str) for value in (md5, source_md5)):
            raise TypeError(f"bad entry {value!r}")
        variants = None if variants is None else tuple(variants)
        return cls(md5, int(size), source_md5, variants, int(deployed))

    def same_content(self, other: Entry) -> bool:
        return (self.md5, self.size, self.source_md5) == (other.md5, other.size, other.source_md5)


@dataclass(frozen=True, slots=True)
class Source:
    """What the record keeps of one source file, so that a deploy need not stage it again."""

    md5: str
    hashed: str | None
    """Its name in the manifest (a hashed name), None without post-processing."""
    refs: tuple[str, ...] = ()
    """The names Django's post-processing resolved in it (CSS url(), JS imports, source
    maps): when one of them changes, this file's output changes too."""

    def to_json(self, recorded_md5: str | None, positions: Mapping[str, int]) -> list[Any]:
        """As stored: the md5 left out when the record has it already (the unhashed copy of
        a source is its bytes), and a reference to another source as that source's position
        among them all. Each saves a fifth of the record at 20,000 files."""
        md5 = None if self.md5 == recorded_md5 else self.md5
        return [md5, self.hashed, [positions.get(ref, ref) for ref in self.refs]]

    @classmethod
    def from_json(cls, value: list[Any], recorded_md5: str | None, names: Sequence[str]) -> Source:
        md5, hashed, refs = value
        md5 = md5 or recorded_md5
        if not isinstance(md5, str) or not (hashed is None or isinstance(hashed, str)):
            raise TypeError(f"bad source {value!r}")
        return cls(
            md5, hashed, tuple(names[ref] if isinstance(ref, int) else str(ref) for ref in refs)
        )
