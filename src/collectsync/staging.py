"""Stage: run Django's collect and post-processing into a temp dir, then list the result."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage
from django.utils.module_loading import import_string

from collectsync.conf import conf


@dataclass(frozen=True)
class StagedFile:
    name: str
    """Posix path relative to the storage's root: the name the remote will know it by."""
    path: Path
    md5: str
    size: int


@dataclass(frozen=True)
class StagedSet:
    files: list[StagedFile]
    """Every staged file except the manifest, sorted by name."""
    manifest: StagedFile | None


def build_local_storage(location: Path) -> Storage:
    dotted_path = conf.LOCAL_STORAGE
    try:
        storage_class = import_string(dotted_path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"COLLECTSYNC_LOCAL_STORAGE '{dotted_path}' could not be imported "
            f"({error}); install it (for the default: pip install 'whitenoise[brotli]')."
        ) from error
    storage: Storage = storage_class(location=str(location), **conf.LOCAL_STORAGE_OPTIONS)
    return storage


@contextmanager
def staging_dir(*, keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="collectsync-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def scan(root: Path, manifest_name: str | None) -> StagedSet:
    files: list[StagedFile] = []
    manifest: StagedFile | None = None
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        staged = describe(root, path)
        if staged.name == manifest_name:
            manifest = staged
        else:
            files.append(staged)
    return StagedSet(files=files, manifest=manifest)


def describe(root: Path, path: Path) -> StagedFile:
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "md5")
    return StagedFile(
        name=path.relative_to(root).as_posix(),
        path=path,
        md5=digest.hexdigest(),
        size=path.stat().st_size,
    )


def manifest_name_of(storage: Storage) -> str | None:
    """The manifest's name in ``storage``, if it keeps one next to its files."""
    name = getattr(storage, "manifest_name", None)
    if name is None or getattr(storage, "manifest_storage", storage) is not storage:
        return None
    return str(name)
