"""Any Django storage without an adapter of its own, through its public API: Storage.open(),
exists(), listdir(), delete(), and _save(), so that a name is written as given instead of
renamed when it is taken."""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage

import collectsync.remote.generic.errors as generic_errors
from collectsync.errors import RemoteError
from collectsync.files import StagedFile
from collectsync.remote.base import ErrorMeanings, Remote, join_key
from collectsync.remote.weather import in_rounds


class StorageRemote(Remote):
    meanings: ClassVar[ErrorMeanings] = generic_errors

    def __init__(self, storage: Storage, *, fresh: Callable[[], Storage] | None = None) -> None:
        """Write through ``storage``; with ``fresh``, each worker thread through an instance
        of its own, since storages make no promise of thread safety. Without it, writes take
        turns. Names are the storage's own: it adds its location itself."""
        self._storage = storage
        self._fresh = fresh
        self._own = threading.local()
        self._lock = threading.Lock()
        super().__init__("", "")

    @property
    def destination(self) -> str:
        """The storage's folder, or its class and location (``SFTPStorage:static``)."""
        if isinstance(self._storage, FileSystemStorage):
            return str(self._storage.location)
        location = str(getattr(self._storage, "location", "") or "").strip("/")
        return f"{type(self._storage).__name__}:{location}"

    @contextmanager
    def _storage_for_thread(self) -> Iterator[Storage]:
        if self._fresh is None:
            with self._lock:
                yield self._storage
            return
        storage: Storage | None = getattr(self._own, "storage", None)
        if storage is None:
            storage = self._own.storage = self._fresh()
        yield storage

    @in_rounds
    def read(self, name: str) -> bytes | None:
        self.count("GET")
        with self.failing_as(name):
            if not self._storage.exists(name):
                return None
            with self._storage.open(name, "rb") as handle:
                data: bytes = handle.read()
        return data

    def listing(self) -> None:
        return None  # a generic storage can list names but not contents' checksums

    @in_rounds
    def names(self) -> set[str]:
        found: set[str] = set()
        folders = [""]
        with self.failing_as("/"):
            while folders:
                folder = folders.pop()
                self.count("LIST")
                subfolders, files = self._storage.listdir(folder)
                found.update(posixpath.join(folder, name) for name in files)
                folders += [posixpath.join(folder, name) for name in subfolders]
        return found

    @in_rounds
    def delete(self, names: list[str]) -> None:
        for name in names:
            self.count("DELETE")
            with self._storage_for_thread() as storage, self.failing_as(name):
                storage.delete(name)

    def write(self, staged: StagedFile) -> None:
        with staged.path.open("rb") as handle:
            self._save(staged.name, File(handle, name=staged.name))

    @in_rounds
    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        self._save(name, ContentFile(data, name=name))

    def copy(self, source: str, name: str, *, if_source_unchanged: bool = False) -> None:
        """A storage has no copy of its own: the bytes pass through this machine."""
        data = self.read(source)
        if data is None:
            raise RemoteError(f"'{source}' is missing from {self.destination}; rerun.")
        self.write_bytes(name, data)

    def _save(self, name: str, content: File[bytes]) -> None:
        join_key("", name)  # refuses a name that would leave the storage's location
        self.count("PUT")
        with self._storage_for_thread() as storage, self.failing_as(name):
            if isinstance(storage, FileSystemStorage):
                replace_file(Path(storage.path(name)), content)
            else:
                # _save, not save: save() renames the file when the name is taken.
                storage._save(name, content)  # type: ignore[attr-defined]


def replace_file(destination: Path, content: File[bytes]) -> None:
    """Overwrite ``destination`` atomically: readers see the old file or the new one."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".collectsync-partial")
    with partial.open("wb") as handle:
        for chunk in content.chunks():
            handle.write(chunk)
    partial.replace(destination)
