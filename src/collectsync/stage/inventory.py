"""Scan: describe what staging wrote (name, md5, size, which variants, hashed or not)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path

from django.core.files.storage import Storage

from collectsync.files import VARIANT_SUFFIXES, StagedFile, StagedSet
from collectsync.stage.sources import file_md5


def staged_names(root: Path) -> list[str]:
    """The posix name, relative to ``root``, of every file under it, sorted.

    Names rather than Path objects: at 80,000 staged files the difference is tens of MB.
    """
    names = []
    for folder, _, files in os.walk(root, followlinks=True):
        folder_path = Path(folder)
        relative = folder_path.relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        names += [prefix + file for file in files if (folder_path / file).is_file()]
    return sorted(names)


def scan(
    root: Path,
    manifest_name: str | None,
    described_before: Mapping[str, StagedFile] | None = None,
    *,
    compressed: set[str] | None = None,
    made: set[str] | frozenset[str] = frozenset(),
    variants_kept: frozenset[str] = frozenset(),
) -> StagedSet:
    """The staged files under ``root``; those ``described_before`` are not read again.

    ``compressed``: the files compressed in this run, None if nothing was; ``made``: the
    variants that compression wrote; ``variants_kept``: the files whose compression was
    skipped because the remote holds their variants.
    """
    described_before = described_before or {}
    described = {}
    for name in staged_names(root):
        described[name] = described_before.get(name) or describe(root, name)
    manifest_file = described.get(manifest_name) if manifest_name else None
    hashed = hashed_names(manifest_file.path) if manifest_file else set()
    files: list[StagedFile] = []
    manifest: StagedFile | None = None
    for name, staged in described.items():
        if name == manifest_name:
            manifest = staged
            continue
        source = next(
            (
                described[name.removesuffix(s)]
                for s in VARIANT_SUFFIXES
                if name in made and name.endswith(s) and name.removesuffix(s) in described
            ),
            None,
        )
        variants = None
        if compressed is not None and name in compressed:
            variants = tuple(s for s in VARIANT_SUFFIXES if name + s in made)
        files.append(
            dataclasses.replace(
                staged,
                source_md5=source.md5 if source else None,
                variants=variants,
                immutable=(source.name if source else name) in hashed,
            )
        )
    return StagedSet(
        files=files,
        manifest=manifest,
        variants_kept=variants_kept,
    )


def hashed_names(manifest: Path) -> set[str]:
    """The hashed names a Django manifest maps to."""
    try:
        paths = json.loads(manifest.read_bytes())["paths"]
        return {str(name) for name in paths.values()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()  # not a manifest Django wrote: treat every name as mutable


def describe(
    root: Path,
    name: str,
    md5: str | None = None,
    *,
    source_md5: str | None = None,
    immutable: bool = False,
) -> StagedFile:
    path = root / name
    return StagedFile(
        name=name,
        path=path,
        md5=md5 or file_md5(path),
        size=path.stat().st_size,
        source_md5=source_md5,
        immutable=immutable,
    )


def manifest_name_of(storage: Storage) -> str | None:
    """The manifest's name in ``storage``, if it keeps one next to its files."""
    name = getattr(storage, "manifest_name", None)
    if name is None or getattr(storage, "manifest_storage", storage) is not storage:
        return None
    return str(name)
