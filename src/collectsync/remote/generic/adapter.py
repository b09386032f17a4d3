"""Any Django storage, through its public API (Google Cloud Storage, Azure Blob, ...)."""

from __future__ import annotations

import posixpath
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage

from collectsync.errors import RemoteError, TransientError
from collectsync.files import StagedFile
from collectsync.remote.base import join_key
from collectsync.remote.weather import Trouble, Weather, in_rounds

SCHEMES = {"GoogleCloudStorage": "gs", "AzureStorage": "azure"}
CONNECTION_FAILURES = {
    "ConnectionError",  # the built-in one and requests' (Google Cloud Storage)
    "TimeoutError",
    "Timeout",
    "ServiceRequestError",  # azure.core: the request could not be sent
    "ServiceResponseError",  # azure.core: no answer came back
}
THROTTLING_STATUSES = {429, 503}
PASSING_STATUSES = {408, 500, 502, 504}


class StorageRemote:
    def __init__(self, storage: Storage, *, fresh: Callable[[], Storage] | None = None) -> None:
        """Write through ``storage``; with ``fresh``, each worker thread through an instance
        of its own, since storages make no promise of thread safety. Without it, writes take
        turns."""
        self._storage = overwriting(storage)
        self._fresh = fresh
        self._own = threading.local()
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.weather = Weather.from_settings(self.destination)

    @property
    def destination(self) -> str:
        if isinstance(self._storage, FileSystemStorage):
            return str(self._storage.location)
        kind = type(self._storage).__name__
        container = getattr(self._storage, "bucket_name", None) or getattr(
            self._storage, "azure_container", None
        )
        if not container:
            return kind
        for base in type(self._storage).__mro__:
            if base.__name__ in SCHEMES:
                kind = SCHEMES[base.__name__]
        location = str(getattr(self._storage, "location", "") or "").strip("/")
        return f"{kind}://{container}/{location}".rstrip("/")

    def _count(self, operation: str) -> None:
        with self._count_lock:
            self.requests[operation] += 1

    @contextmanager
    def _storage_for_thread(self) -> Iterator[Storage]:
        if self._fresh is None:
            with self._lock:
                yield self._storage
            return
        storage: Storage | None = getattr(self._own, "storage", None)
        if storage is None:
            storage = self._own.storage = overwriting(self._fresh())
        yield storage

    @contextmanager
    def _failing_as(self, action: str, name: str) -> Iterator[None]:
        sent = self.weather.now()
        try:
            yield
        except RemoteError:
            raise
        # Each storage library raises its own errors (google.api_core, azure.core, OSError...).
        except Exception as error:
            # Azure's messages go on for lines (request id, time, error code): the first says it.
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
            message = f"Could not {action} '{name}' in {self.destination}: {reason}."
            trouble = passing_trouble(error)
            if trouble is None:
                raise RemoteError(message) from error
            # The library has retried as it sees fit; the weather decides about later rounds.
            self.weather.failed(reason, trouble, sent=sent)
            raise TransientError(message, throttled=trouble != "transient") from error
        self.weather.succeeded()

    @in_rounds
    def read(self, name: str) -> bytes | None:
        self._count("GET")
        with self._failing_as("read", name):
            if not self._storage.exists(name):
                return None
            with self._storage.open(name, "rb") as handle:
                data: bytes = handle.read()
        return data

    def listing(self) -> None:
        return None  # a generic storage can list names but not contents' checksums

    def confirm(self, files: list[StagedFile], *, workers: int) -> tuple[set[str], list[str]]:
        return set(), [f.name for f in files]  # never asked: it lists no checksums

    @in_rounds
    def names(self) -> set[str]:
        with self._failing_as("list", "/"):
            if hasattr(self._storage, "list_all"):
                return self._flat_names()
            return self._walked_names()

    def _walked_names(self) -> set[str]:
        found: set[str] = set()
        folders = [""]
        while folders:
            folder = folders.pop()
            self._count("LIST")
            subfolders, files = self._storage.listdir(folder)
            found.update(posixpath.join(folder, name) for name in files)
            folders += [posixpath.join(folder, name) for name in subfolders]
        return found

    def _flat_names(self) -> set[str]:
        # AzureStorage lists every blob of the container by its full name, location included,
        # in one call, where Storage.listdir would list one folder's names.
        self._count("LIST")
        location = str(getattr(self._storage, "location", "") or "").strip("/")
        prefix = f"{location}/" if location else ""
        every_blob: list[str] = self._storage.list_all()  # type: ignore[attr-defined]
        return {name.removeprefix(prefix) for name in every_blob if name.startswith(prefix)}

    @in_rounds
    def delete(self, names: list[str]) -> None:
        for name in names:
            self._count("DELETE")
            with self._storage_for_thread() as storage, self._failing_as("delete", name):
                storage.delete(name)

    def write(self, staged: StagedFile) -> None:
        with staged.path.open("rb") as handle:
            self._save(staged.name, File(handle, name=staged.name))

    @in_rounds
    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        self._save(name, ContentFile(data, name=name))

    def _save(self, name: str, content: File[bytes]) -> None:
        join_key("", name)
        self._count("PUT")
        with self._storage_for_thread() as storage, self._failing_as("write", name):
            if isinstance(storage, FileSystemStorage):
                replace_file(Path(storage.path(name)), content)
            else:
                # _save, not save: save() renames the file when the name is taken.
                storage._save(name, content)  # type: ignore[attr-defined]


def overwriting(storage: Storage) -> Storage:
    """``storage``, made to overwrite: collectstatic replaces files under the same name.

    AzureStorage's ``_save`` refuses to replace a blob unless ``overwrite_files`` is set.
    """
    if hasattr(storage, "overwrite_files"):
        storage.overwrite_files = True
    return storage


def replace_file(destination: Path, content: File[bytes]) -> None:
    """Overwrite ``destination`` atomically: readers see the old file or the new one."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".collectsync-partial")
    with partial.open("wb") as handle:
        for chunk in content.chunks():
            handle.write(chunk)
    partial.replace(destination)


def passing_trouble(error: Exception) -> Trouble | None:
    """What kind of trouble that passes a storage library's error is, if it is one."""
    if CONNECTION_FAILURES & {cls.__name__ for cls in type(error).__mro__}:
        return "connection"
    status = getattr(error, "status_code", None) or getattr(error, "code", None)
    if status in THROTTLING_STATUSES:
        return "throttled"
    return "transient" if status in PASSING_STATUSES else None
