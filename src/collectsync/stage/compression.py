"""Compression: what Whitenoise compresses, and reporting each file as soon as it is final."""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage

from collectsync.conf import conf
from collectsync.files import VARIANT_SUFFIXES, StagedFile
from collectsync.index.sync_index import SyncIndex
from collectsync.stage.code_identity import code_digest, package_version
from collectsync.stage.inventory import describe, hashed_names, staged_names


def compressor_identity() -> str:
    """What decides the bytes of the compressed variants, besides their source."""
    return json.dumps(
        {
            "local_storage": conf.LOCAL_STORAGE,
            # Its compression code, not its version: a release that leaves it alone
            # recompresses nothing.
            "whitenoise": code_digest("whitenoise.compress"),
            "brotli": package_version("brotli"),
            "zlib": zlib.ZLIB_RUNTIME_VERSION,
            "skip": repr(getattr(settings, "WHITENOISE_SKIP_COMPRESS_EXTENSIONS", None)),
        },
        sort_keys=True,
    )


class CompressionFilter:
    """Keeps Whitenoise from compressing files whose variants the remote already holds.

    Compression is about 90 % of staging. A file whose bytes match what the index recorded,
    and whose every variant the index records as made from those same bytes by the same
    compressor, would come out byte-identical, so compressing it again is wasted work.
    """

    def __init__(
        self,
        storage: Storage,
        root: Path,
        index: SyncIndex,
        compressor: str,
        described: dict[str, StagedFile],
    ) -> None:
        """``described``: the files hashed so far, which this adds the ones it hashes to."""
        self.compressed: set[str] | None = None
        self.skipped: set[str] = set()
        self.made: set[str] = set()
        """The variants compression wrote: only these are variants, whatever else is named
        like one (a source ``data.json.gz`` next to ``data.json``)."""
        compress_files = getattr(storage, "compress_files", None)
        if compress_files is None:
            return  # not a Whitenoise storage: nothing is compressed, nothing to filter
        self.compressed = set()

        def compress_new_files(names: Iterable[str]) -> Iterator[tuple[str, str]]:
            todo = []
            for name in names:
                if name not in described:
                    described[name] = describe(root, name)
                # A staged source named like one of its variants must be written over.
                namesake = any(os.path.lexists(root / f"{name}{s}") for s in VARIANT_SUFFIXES)
                if not namesake and index.holds_variants_of(name, described[name].md5, compressor):
                    self.skipped.add(name)
                else:
                    todo.append(name)
            assert self.compressed is not None
            self.compressed.update(todo)
            for name in todo:
                for suffix in VARIANT_SUFFIXES:
                    unlink_source(root / f"{name}{suffix}")
            twins = same_bytes(todo, described)
            for name, variant in compress_files(list(twins)):
                self.made.add(variant)
                yield name, variant
                suffix = variant.removeprefix(name)
                for twin in twins[name]:
                    shutil.copyfile(root / variant, root / f"{twin}{suffix}")
                    self.made.add(twin + suffix)
                    yield twin, twin + suffix

        # Whitenoise calls self.compress_files(); an instance attribute takes precedence.
        storage.compress_files = compress_new_files  # type: ignore[attr-defined]


def same_bytes(names: list[str], described: Mapping[str, StagedFile]) -> dict[str, list[str]]:
    """The names to compress, each with the others of the same bytes and extension.

    Whitenoise compresses every original and every hashed copy, and a hashed copy whose
    source refers to nothing post-processing rewrites has its original's very bytes: most of
    them do. Gzip (mtime 0) and brotli make the same variants of the same bytes, so each
    content is compressed once and its variants copied. The extension is part of the key:
    Whitenoise leaves some extensions uncompressed.
    """
    first: dict[tuple[str, str], str] = {}
    twins: dict[str, list[str]] = {}
    for name in names:
        key = (described[name].md5, posixpath.splitext(name)[1])
        if key in first:
            twins[first[key]].append(name)
        else:
            first[key] = name
            twins[name] = []
    return twins


def unlink_source(path: Path) -> None:
    """Turn a staged link to a source into a copy of it, so that a variant written over it
    doesn't go through to the source file, and the source's bytes stay where Whitenoise
    writes no variant (a skipped extension, a compression that saves nothing)."""
    if path.is_symlink():
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)


class FinishedFiles:
    """Reports staged files as soon as their bytes are final, before staging ends.

    Whitenoise compresses last: when it starts, every hashed file, original and the manifest
    are written for good, and each compressed variant is final once reported. Compression is
    most of staging, so uploads can run meanwhile.
    """

    def __init__(
        self,
        storage: Storage,
        root: Path,
        manifest_name: str | None,
        on_final: Callable[[list[StagedFile]], None],
        described: dict[str, StagedFile],
    ) -> None:
        """``described``: the files hashed so far, which this adds each file it reports to."""
        self._root = root
        self._manifest_name = manifest_name
        self._on_final = on_final
        self._described = described
        self._hashed: set[str] = set()
        compress_files = getattr(storage, "compress_files", None)
        if compress_files is None:
            return  # nothing is compressed: staging ends as soon as the files are written

        def compress_files_reporting(names: Iterable[str]) -> Iterator[tuple[str, str]]:
            held = self._report_written()
            for name, compressed_name in compress_files(names):
                held.discard(compressed_name)
                self._report_variant(compressed_name)
                yield name, compressed_name
            self._on_final([self._describe(name) for name in sorted(held)])

        storage.compress_files = compress_files_reporting  # type: ignore[attr-defined]

    def _report_written(self) -> set[str]:
        """Report what post-processing wrote; the names held back (a source named like
        another's variant, which compression may write over) are returned."""
        manifest = self._root / self._manifest_name if self._manifest_name else None
        self._hashed = hashed_names(manifest) if manifest and manifest.is_file() else set()
        names = [name for name in staged_names(self._root) if name != self._manifest_name]
        present = set(names)
        held = {name for name in names if source_of_variant(name) in present - {name}}
        self._on_final([self._describe(name) for name in names if name not in held])
        return held

    def _describe(self, name: str) -> StagedFile:
        staged = describe(self._root, name, immutable=name in self._hashed)
        self._described[name] = staged
        return staged

    def _report_variant(self, name: str) -> None:
        source_name = source_of_variant(name)
        source = self._described.get(source_name)
        staged = describe(
            self._root,
            name,
            source_md5=source.md5 if source else None,
            immutable=source_name in self._hashed,
        )
        self._described[name] = staged
        self._on_final([staged])


def source_of_variant(name: str) -> str:
    """``name`` without its variant suffix (itself if it has none)."""
    return next((name.removesuffix(s) for s in VARIANT_SUFFIXES if name.endswith(s)), name)
