"""The local storage that stages files: built in a temp dir of its own, never STATIC_ROOT."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string

from collectsync.conf import conf


def local_storage_class() -> type[Storage]:
    dotted_path = conf.LOCAL_STORAGE
    try:
        storage_class: type[Storage] = import_string(dotted_path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"COLLECTSYNC_LOCAL_STORAGE '{dotted_path}' could not be imported "
            f"({error}); install it (for the default: pip install 'whitenoise[brotli]')."
        ) from error
    return storage_class


def build_local_storage(location: Path) -> Storage:
    storage_class: Any = local_storage_class()
    storage: Storage = storage_class(location=str(location), **conf.LOCAL_STORAGE_OPTIONS)
    if isinstance(storage, FileSystemStorage):
        write_in_place(storage)
    return storage


def write_in_place(storage: FileSystemStorage) -> None:
    """Save files with one plain write instead of Django's exclusive-create dance.

    FileSystemStorage._save guards against other processes writing the same name (O_EXCL,
    file locks, retries under another name). Nobody else writes into a fresh staging dir, and
    post-processing deletes a name before saving it again, so a plain write is the same result
    for a third of the cost. Storages that define their own _save keep it.
    """
    if type(storage)._save is not FileSystemStorage._save:  # type: ignore[attr-defined]
        return

    def save(name: str, content: File[bytes]) -> str:
        path = Path(storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            for chunk in content.chunks():
                handle.write(chunk)
        return name.replace("\\", "/")

    storage._save = save  # type: ignore[attr-defined]


@contextmanager
def scratch_dir(*, keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="collectsync-", dir=conf.STAGING_ROOT))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
