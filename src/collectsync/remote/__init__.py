"""Remotes: where collectsync writes, one adapter per kind of storage."""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from collectsync.staging import StagedFile


@dataclass(frozen=True, slots=True)
class Listed:
    """An object as a listing shows it."""

    size: int
    md5: str | None
    """None when the listing can't tell (S3 multipart or KMS-encrypted objects)."""


class RemoteError(Exception):
    """A remote operation failed; the message is one sentence meant for the user."""


class ConcurrentUpdate(RemoteError):
    """A conditional write lost: the object changed since this process read it."""


class Remote(Protocol):
    requests: Counter[str]
    """Requests made so far, by operation (GET, PUT, LIST)."""

    @property
    def destination(self) -> str:
        """Where files go, as a user would write it (``s3://bucket/prefix``)."""

    def read(self, name: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""

    def write(self, staged: StagedFile) -> None:
        """Write the staged file under its name, overwriting in place. Thread-safe."""

    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        """Write ``data``; with ``if_unchanged``, only if the object is as this remote last
        read it (absent included), else raise ConcurrentUpdate. Remotes without conditional
        writes write unconditionally."""

    def listing(self) -> dict[str, Listed] | None:
        """Every object under the location by name, or None if this remote can't list."""

    def names(self) -> set[str]:
        """The name of every object under the location."""

    def delete(self, names: list[str]) -> None:
        """Delete these objects; raise RemoteError naming the first that could not be."""


def configured_backend() -> dict[str, Any]:
    backends = cast(dict[str, dict[str, Any]], settings.STORAGES)
    return dict(backends[STATICFILES_STORAGE_ALIAS])


def is_local_backend(backend: dict[str, Any]) -> bool:
    try:
        storage_class = import_string(backend["BACKEND"])
    except ImportError as error:
        raise ImproperlyConfigured(
            f"The staticfiles storage '{backend['BACKEND']}' could not be imported ({error}); "
            "fix STORAGES['staticfiles'] or install its package (for S3: "
            "pip install 'django-collectsync[s3]')."
        ) from error
    return isinstance(storage_class, type) and issubclass(storage_class, FileSystemStorage)


def build_remote_storage(backend: dict[str, Any]) -> Storage:
    """The configured staticfiles storage, built without reading its manifest.

    ManifestFilesMixin reads the remote manifest in ``__init__`` (two S3 requests). collectsync
    never uses the loaded manifest, so an instance-level ``load_manifest`` skips that read.
    """
    storage_class = import_string(backend["BACKEND"])
    storage: Storage = storage_class.__new__(storage_class)
    if isinstance(storage, ManifestFilesMixin):
        storage.load_manifest = lambda: ({}, "")
    storage_class.__init__(storage, **backend.get("OPTIONS", {}))
    return storage


def open_remote(storage: Storage, *, fresh: Callable[[], Storage] | None = None) -> Remote:
    """The fastest adapter for ``storage``; ``fresh`` makes more instances like it."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - exercised only without the s3 extra
        S3Storage = None

    if S3Storage is not None and isinstance(storage, S3Storage):
        from collectsync.remote.s3 import S3Remote

        return S3Remote(storage)
    from collectsync.remote.django import StorageRemote

    return StorageRemote(storage, fresh=fresh)


def manifest_remote(storage: Storage, remote: Remote) -> tuple[Remote, str] | None:
    """Where the remote storage reads its manifest from, if it is manifest-based."""
    if not isinstance(storage, ManifestFilesMixin):
        return None
    manifest_storage = storage.manifest_storage
    if manifest_storage is storage:
        return remote, storage.manifest_name
    return open_remote(manifest_storage), storage.manifest_name


def join_key(location: str, name: str) -> str:
    """``name`` inside ``location``; refuses names that would leave it."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise RemoteError(
            f"Refusing to write '{name}': the name would leave the storage's location."
        )
    location = location.strip("/")
    return posixpath.join(location, name) if location else name
