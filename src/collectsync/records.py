"""Records that several layers pass around: what was staged, and what a listing shows.

This module imports nothing else of the package, so every layer can import it.
"""

from __future__ import annotations

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

    @property
    def compression_skipped(self) -> int:
        return len(self.variants_kept)


@dataclass(frozen=True, slots=True)
class Listed:
    """An object as a listing shows it."""

    size: int
    md5: str | None
    """None when the listing can't tell (S3 multipart or KMS-encrypted objects)."""
