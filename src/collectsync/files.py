"""Records that several layers pass around: what was staged, and what a listing shows.

This module imports nothing else of the package, so every layer can import it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
    sources: Mapping[str, Source] | None = None
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
    left: int | None = None
    """The first release that no longer had this file; None while the latest has it. Only
    the files a release adds or drops change: --prune keeps the recent ones."""

    @classmethod
    def of(
        cls, staged: StagedFile, variants: tuple[str, ...] | None, left: int | None = None
    ) -> Entry:
        """What the index keeps of ``staged``, with these variants."""
        md5 = None if staged.source_md5 else staged.md5
        return cls(md5, staged.size, staged.source_md5, variants, left)

    def same_content(self, other: Entry) -> bool:
        return (self.md5, self.size, self.source_md5) == (other.md5, other.size, other.source_md5)

    def last_release(self, release_number: int) -> int:
        """The last release that had this file, in the record of release ``release_number``."""
        return release_number if self.left is None else self.left - 1


@dataclass(frozen=True, slots=True)
class Source:
    """What the record keeps of one source file, so that a deploy need not stage it again."""

    md5: str
    hashed: str | None
    """Its name in the manifest (a hashed name), None without post-processing."""
    refs: tuple[str, ...] = ()
    """The names Django's post-processing resolved in it (CSS url(), JS imports, source
    maps): when one of them changes, this file's output changes too."""


def hash_in(name: str, hashed: str) -> str | None:
    """The hash Django put into ``hashed``, the hashed name of ``name``."""
    root, ext = posixpath.splitext(posixpath.basename(name))
    base = posixpath.basename(hashed)
    if posixpath.dirname(hashed) != posixpath.dirname(name):
        return None
    if not (base.startswith(f"{root}.") and base.endswith(ext) and len(base) > len(root) + 1):
        return None
    return base[len(root) + 1 : len(base) - len(ext)] or None


@dataclass(frozen=True)
class Provenance:
    """What made a staged tree, as the record keeps it so that the next deploy can tell
    what it may skip."""

    fingerprint: str | None
    """The input fingerprint (see stage/fingerprint.py)."""
    settings: str | None
    """The fingerprint of the settings and code alone."""
    code: dict[str, tuple[str, str]] | None
    compressor: str | None
    sources: Mapping[str, Source] | None
