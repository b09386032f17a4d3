"""Any Django storage, through its public API."""

from __future__ import annotations

import posixpath
import threading
from collections import Counter
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage

from collectsync.remote import RemoteError, join_key
from collectsync.staging import StagedFile


class StorageRemote:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        # Storages make no promise of thread safety, so writes through one take turns.
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()

    @property
    def destination(self) -> str:
        if isinstance(self._storage, FileSystemStorage):
            return str(self._storage.location)
        return type(self._storage).__name__

    def read(self, name: str) -> bytes | None:
        self.requests["GET"] += 1
        try:
            if not self._storage.exists(name):
                return None
            with self._storage.open(name, "rb") as handle:
                data: bytes = handle.read()
        except OSError as error:
            raise RemoteError(
                f"Could not read '{name}' from {self.destination}: {error}."
            ) from error
        return data

    def listing(self) -> None:
        return None  # a generic storage can list names but not contents' checksums

    def names(self) -> set[str]:
        found: set[str] = set()
        folders = [""]
        while folders:
            folder = folders.pop()
            self.requests["LIST"] += 1
            try:
                subfolders, files = self._storage.listdir(folder)
            except OSError as error:
                raise RemoteError(
                    f"Could not list '{folder or '/'}' in {self.destination}: {error}."
                ) from error
            found.update(posixpath.join(folder, name) for name in files)
            folders += [posixpath.join(folder, name) for name in subfolders]
        return found

    def delete(self, names: list[str]) -> None:
        for name in names:
            with self._lock:
                self.requests["DELETE"] += 1
                try:
                    self._storage.delete(name)
                except OSError as error:
                    raise RemoteError(
                        f"Could not delete '{name}' from {self.destination}: {error}; "
                        "the next --prune tries again."
                    ) from error

    def write(self, staged: StagedFile) -> None:
        with staged.path.open("rb") as handle:
            self._save(staged.name, File(handle, name=staged.name))

    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        self._save(name, ContentFile(data, name=name))

    def _save(self, name: str, content: File[bytes]) -> None:
        join_key("", name)
        with self._lock:
            self.requests["PUT"] += 1
            try:
                if isinstance(self._storage, FileSystemStorage):
                    replace_file(Path(self._storage.path(name)), content)
                else:
                    # _save, not save: save() renames the file when the name is taken.
                    self._storage._save(name, content)  # type: ignore[attr-defined]
            except OSError as error:
                raise RemoteError(
                    f"Could not write '{name}' to {self.destination}: {error}."
                ) from error


def replace_file(destination: Path, content: File[bytes]) -> None:
    """Overwrite ``destination`` atomically: readers see the old file or the new one."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".collectsync-partial")
    with partial.open("wb") as handle:
        for chunk in content.chunks():
            handle.write(chunk)
    partial.replace(destination)
