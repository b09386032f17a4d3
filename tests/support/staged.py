"""Staged files and sets made up for tests, and a plan applied with defaults that fail loudly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from collectsync.files import Entry, Provenance, StagedFile, StagedSet
from collectsync.index.releases import Stamp
from collectsync.index.stored import RemoteIndex, Target
from collectsync.index.sync_index import SyncIndex
from collectsync.stage.inventory import describe
from collectsync.sync.apply import apply_plan
from collectsync.sync.plan import Plan


def staged(name: str, md5: str = "a" * 32, size: int = 3) -> StagedFile:
    return StagedFile(name=name, path=Path("/nowhere") / name, md5=md5, size=size)


def staged_files(root: Path, count: int) -> list[StagedFile]:
    """``count`` small stylesheets written under ``root``, described as staging does."""
    for i in range(count):
        (root / f"f{i:03}.css").write_text(f"file {i}")
    return [describe(root, f"f{i:03}.css") for i in range(count)]


def unexpected(warning: str) -> None:
    raise AssertionError(f"unexpected warning: {warning}")


def deploy(
    plan: Plan,
    index: SyncIndex,
    target: Target,
    *,
    fingerprint: str | None = None,
    workers: int = 1,
    on_uploaded: Callable[[StagedFile], None] = lambda f: None,
    warn: Callable[[str], None] = unexpected,
    read_as: Entry | None = None,
) -> SyncIndex:
    applied = apply_plan(
        plan,
        RemoteIndex(index, read_as=read_as),
        target,
        made=Provenance(fingerprint, None, None, None, None),
        stamp=Stamp("test", None, "host", "0"),
        workers=workers,
        on_uploaded=on_uploaded,
        warn=warn,
    )
    return applied.live


def staged_set(root: Path, names: list[str]) -> StagedSet:
    for name in [*names, "staticfiles.json"]:
        (root / name).write_text(f"content of {name}")
    files = [describe(root, name) for name in names]
    return StagedSet(files, describe(root, "staticfiles.json"))
