"""Azure Blob: one Put Blob per file with its content settings and Content-MD5, listings that
carry each blob's MD5, and the index written on the ETag read, through azure-storage-blob and
the storage's own container client.

django-storages' `_save` uploads without an MD5 for blobs written in blocks and lists names
only, and its `open` raises the SDK's error for a missing blob, not FileNotFoundError.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import threading
import time
from typing import IO, TYPE_CHECKING, Any, ClassVar

from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContentSettings
from django.core.exceptions import ImproperlyConfigured

import collectsync.remote.azure.errors as azure_errors
from collectsync.conf import conf
from collectsync.errors import RemoteError
from collectsync.files import Listed, StagedFile
from collectsync.remote.base import ErrorMeanings, Remote
from collectsync.remote.weather import in_rounds

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient
    from storages.backends.azure_storage import AzureStorage

ONCE = {"retry_total": 0}
"""Per request: no retries of the SDK's own (about a minute of them): collectsync's rounds
and concurrency decide, as on S3 and Cloud Storage."""


class AzureRemote(Remote):
    scheme = "azure"
    meanings: ClassVar[ErrorMeanings] = azure_errors

    def __init__(self, storage: AzureStorage) -> None:
        if not storage.azure_container:
            raise ImproperlyConfigured(
                "The staticfiles storage names no Azure container; set AZURE_CONTAINER (or "
                "the storage's azure_container option)."
            )
        if not storage.connection_string and not storage.account_name:
            raise ImproperlyConfigured(
                f"The Azure storage of container '{storage.azure_container}' names no account; "
                "set AZURE_CONNECTION_STRING, or AZURE_ACCOUNT_NAME with AZURE_ACCOUNT_KEY, "
                "AZURE_SAS_TOKEN or AZURE_TOKEN_CREDENTIAL."
            )
        super().__init__(storage.azure_container, storage.location or "")
        self._storage = storage
        self._lock = threading.Lock()
        self._etags: dict[str, str | None] = {}
        """The ETag of each blob as last read or written here; None: it was absent."""

    def _client(self) -> ContainerClient:
        """The storage's own container client, shared by the upload threads (the SDK's
        clients are safe to share)."""
        with self._lock:
            client: ContainerClient = self._storage.client
        return client

    def _timeout(self) -> dict[str, Any]:
        return {
            **ONCE,
            "connection_timeout": conf.CONNECT_TIMEOUT,
            "read_timeout": conf.READ_TIMEOUT,
        }

    @in_rounds
    def read(self, name: str) -> bytes | None:
        key = self.key(name)
        self.count("GET")
        with self.failing_as(name):
            try:
                download = self._client().download_blob(key, decompress=False, **self._timeout())
                data = download.readall()
            except ResourceNotFoundError as error:
                if getattr(error, "error_code", None) == "ContainerNotFound":
                    raise
                self._etags[name] = None
                return None
        self._etags[name] = download.properties.etag
        return data

    @in_rounds
    def listing(self) -> dict[str, Listed]:
        prefix = f"{self.location}/" if self.location else ""
        objects: dict[str, Listed] = {}
        with self.failing_as("/"):
            pages = self._client().list_blobs(name_starts_with=prefix, **self._timeout())
            for page in pages.by_page():
                self.count("LIST")
                for blob in page:
                    md5 = blob.content_settings.content_md5
                    listed_md5 = bytes(md5).hex() if md5 else None
                    objects[blob.name.removeprefix(prefix)] = Listed(blob.size, listed_md5)
        return objects

    # confirm() is the base's: a listed MD5 is the blob's, and of a blob listed without one
    # (written in blocks by another tool) nothing else the service keeps can tell.

    @in_rounds
    def delete(self, names: list[str]) -> None:
        for name in names:
            self.count("DELETE")
            with self.failing_as(name), contextlib.suppress(ResourceNotFoundError):
                self._client().delete_blob(self.key(name), **self._timeout())

    @in_rounds
    def copy(self, source: str, name: str, *, if_source_unchanged: bool = False) -> None:
        conditions: dict[str, Any] = {}
        if if_source_unchanged and self._etags.get(source):
            conditions = {
                "source_etag": self._etags[source],
                "source_match_condition": MatchConditions.IfNotModified,
            }
        self.count("COPY")
        with self.failing_as(source):
            client = self._client()
            # Within one account the source is authorized by the destination's credentials.
            url = client.get_blob_client(self.key(source)).url
            target = client.get_blob_client(self.key(name))
            copy = target.start_copy_from_url(url, **conditions, **self._timeout())
            status = copy.get("copy_status")
            while status == "pending":  # large blobs copy in the background
                time.sleep(0.2)
                status = target.get_blob_properties(**self._timeout()).copy.status
            if status != "success":
                raise RemoteError(
                    f"Copying '{self.key(source)}' to '{self.key(name)}' in container "
                    f"'{self.container}' ended as '{status}'; rerun."
                )

    def write(self, staged: StagedFile) -> None:
        cache = conf.IMMUTABLE_CACHE_CONTROL if staged.immutable else conf.MUTABLE_CACHE_CONTROL
        with staged.path.open("rb") as body:
            self._upload(staged.name, body, staged.md5, cache)

    @in_rounds
    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        conditions: dict[str, Any] = {}
        if if_unchanged and name in self._etags:
            etag = self._etags[name]
            conditions = (
                {"etag": etag, "match_condition": MatchConditions.IfNotModified}
                if etag
                else {"overwrite": False}  # If-None-Match: *
            )
        md5 = hashlib.md5(data).hexdigest()
        self._etags[name] = self._upload(name, data, md5, None, conditions)

    def _upload(
        self,
        name: str,
        body: IO[bytes] | bytes,
        md5: str,
        cache_control: str | None,
        conditions: dict[str, Any] | None = None,
    ) -> str | None:
        key = self.key(name)
        settings = self._content_settings(key, cache_control)
        # Kept as the blob's Content-MD5 property, which listings show: what --verify and taking
        # over a container compare.
        settings["content_md5"] = bytearray.fromhex(md5)
        upload: dict[str, Any] = {"overwrite": True, "max_concurrency": 1, **(conditions or {})}
        self.count("PUT")
        with self.failing_as(name):
            blob = self._client().get_blob_client(key)
            written = blob.upload_blob(
                body, content_settings=ContentSettings(**settings), **upload, **self._timeout()
            )
        etag: str | None = written.get("etag")
        return etag

    def _content_settings(self, key: str, cache_control: str | None) -> dict[str, Any]:
        """As django-storages sets them; its cache_control (AZURE_CACHE_CONTROL) and object
        parameters win over collectsync's cache policy."""
        content_type, encoding = mimetypes.guess_type(key)
        settings: dict[str, Any] = {
            "content_type": content_type or self._storage.default_content_type,
            "content_encoding": encoding,
            "cache_control": self._storage.cache_control or cache_control,
        }
        settings.update(self._storage.get_object_parameters(key))
        return settings
