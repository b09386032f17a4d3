"""Which adapter writes to a storage, and the configured storage built without reading its
manifest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string

from collectsync.remote.base import Remote


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
        from collectsync.remote.s3.adapter import S3Remote

        return S3Remote(storage)
    if is_instance_of(storage, "storages.backends.gcloud", "GoogleCloudStorage"):
        from collectsync.remote.gcs.adapter import GoogleCloudRemote

        return GoogleCloudRemote(storage)
    if is_instance_of(storage, "storages.backends.azure_storage", "AzureStorage"):
        from collectsync.remote.azure.adapter import AzureRemote

        return AzureRemote(storage)
    from collectsync.remote.generic.adapter import StorageRemote

    return StorageRemote(storage, fresh=fresh)


def is_instance_of(storage: Storage, module: str, name: str) -> bool:
    """Whether ``storage`` is a ``module.name``, without importing a client library that a
    project which doesn't use it may not have installed."""
    return any(
        kind.__module__ == module and kind.__name__ == name for kind in type(storage).__mro__
    )


def manifest_remote(storage: Storage, remote: Remote) -> tuple[Remote, str] | None:
    """Where the remote storage reads its manifest from, if it is manifest-based."""
    if not isinstance(storage, ManifestFilesMixin):
        return None
    manifest_storage = storage.manifest_storage
    if manifest_storage is storage:
        return remote, storage.manifest_name
    return open_remote(manifest_storage), storage.manifest_name


def remote_manifest_name(storage: Storage) -> str | None:
    """The name the storage reads its manifest by, if it is manifest-based."""
    return storage.manifest_name if isinstance(storage, ManifestFilesMixin) else None
