"""Google Cloud Storage: one upload per file, its metadata in the same request, and listings
that carry each object's MD5, through google-cloud-storage and the storage's own client.

django-storages' `_save` looks the blob up before each upload (a GET and a POST per file) and
lists names only; here an upload is one multipart POST, and a listing is enough to take over
a bucket another tool filled.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import mimetypes
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import google_crc32c
from django.core.exceptions import ImproperlyConfigured
from google.api_core.exceptions import NotFound
from requests.adapters import HTTPAdapter

import collectsync.remote.gcs.errors as gcs_errors
from collectsync.conf import conf
from collectsync.files import Listed, StagedFile
from collectsync.remote.base import ErrorMeanings, Remote
from collectsync.remote.weather import in_rounds

if TYPE_CHECKING:
    from google.cloud.storage import Bucket, Client
    from storages.backends.gcloud import GoogleCloudStorage

CONNECTIONS = 64
"""Connections the client keeps open: one per upload in flight, whatever --workers says."""


class GoogleCloudRemote(Remote):
    scheme = "gs"
    meanings: ClassVar[ErrorMeanings] = gcs_errors

    def __init__(self, storage: GoogleCloudStorage) -> None:
        if not storage.bucket_name:
            raise ImproperlyConfigured(
                "The staticfiles storage names no Google Cloud Storage bucket; set "
                "GS_BUCKET_NAME (or the storage's bucket_name option)."
            )
        super().__init__(storage.bucket_name, storage.location or "")
        self._storage = storage
        self._lock = threading.Lock()
        self._client: Client | None = None
        self._generations: dict[str, int | None] = {}
        """The generation of each object as last read or written here; 0: it was absent."""
        self._crc32c: dict[str, str] = {}
        """CRC32C of listed objects that have no MD5 (composite objects)."""

    def _bucket(self) -> Bucket:
        """The storage's own client, shared by the upload threads (its HTTP session is)."""
        with self._lock:
            if self._client is None:
                client = self._storage.client
                for scheme in ("http://", "https://"):
                    client._http.mount(scheme, HTTPAdapter(pool_maxsize=CONNECTIONS))
                # Since 3.x the client fetches each bucket's metadata in the background, for
                # its traces: a request per deploy that a deploy finding nothing changed
                # doesn't need. It checks the cache exists before each use.
                client._bucket_metadata_cache = None
                self._client = client
        return self._client.bucket(self.container)

    def _timeout(self) -> tuple[float, float]:
        return (conf.CONNECT_TIMEOUT, conf.READ_TIMEOUT)

    @in_rounds
    def read(self, name: str) -> bytes | None:
        key = self.key(name)
        self.count("GET")
        with self.failing_as(name):
            blob = self._bucket().blob(key)
            try:
                data: bytes = blob.download_as_bytes(
                    raw_download=True, retry=None, timeout=self._timeout()
                )
            except NotFound:
                self._generations[name] = 0
                return None
        self._generations[name] = blob.generation
        return data

    @in_rounds
    def listing(self) -> dict[str, Listed]:
        prefix = f"{self.location}/" if self.location else ""
        objects: dict[str, Listed] = {}
        with self.failing_as("/"):
            found = self._bucket().list_blobs(prefix=prefix, retry=None, timeout=self._timeout())
            for page in found.pages:
                self.count("LIST")
                for blob in page:
                    name = blob.name.removeprefix(prefix)
                    md5 = base64.b64decode(blob.md5_hash).hex() if blob.md5_hash else None
                    objects[name] = Listed(int(blob.size or 0), md5)
                    if md5 is None and blob.crc32c:
                        self._crc32c[name] = blob.crc32c
        return objects

    def confirm(self, files: list[StagedFile], *, workers: int) -> tuple[set[str], list[str]]:
        """A listed MD5 is the object's: only objects listed without one (composite objects)
        are in doubt, and their listed CRC32C settles it."""
        held = {f.name for f in files if self._crc32c.get(f.name) == crc32c(f.path)}
        unknown = [f.name for f in files if f.name not in self._crc32c]
        return held, unknown

    @in_rounds
    def delete(self, names: list[str]) -> None:
        for name in names:
            self.count("DELETE")
            with self.failing_as(name), contextlib.suppress(NotFound):  # gone already
                self._bucket().delete_blob(self.key(name), retry=None, timeout=self._timeout())

    @in_rounds
    def copy(self, source: str, name: str, *, if_source_unchanged: bool = False) -> None:
        generation = self._generations.get(source) if if_source_unchanged else None
        self.count("COPY")
        with self.failing_as(source):
            bucket = self._bucket()
            target = bucket.blob(self.key(name))
            token: str | None = None
            while True:  # a rewrite may take several calls for a large object
                token, _, _ = target.rewrite(
                    bucket.blob(self.key(source)),
                    token=token,
                    if_source_generation_match=generation or None,
                    retry=None,
                    timeout=self._timeout(),
                )
                if token is None:
                    break

    def write(self, staged: StagedFile) -> None:
        cache = conf.IMMUTABLE_CACHE_CONTROL if staged.immutable else conf.MUTABLE_CACHE_CONTROL
        self._upload(staged.name, staged.md5, cache, path=staged.path)

    @in_rounds
    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        md5 = hashlib.md5(data).hexdigest()
        generation = self._generations.get(name) if if_unchanged else None
        self._generations[name] = self._upload(name, md5, None, data=data, generation=generation)

    def _upload(
        self,
        name: str,
        md5: str,
        cache_control: str | None,
        *,
        path: Path | None = None,
        data: bytes | None = None,
        generation: int | None = None,
    ) -> int | None:
        key = self.key(name)
        parameters = dict(self._storage.get_object_parameters(key))
        acl = parameters.pop("acl", self._storage.default_acl)
        content_type, encoding = mimetypes.guess_type(key)
        content_type = parameters.pop("content_type", content_type or "application/octet-stream")
        parameters.setdefault("content_encoding", encoding)
        if cache_control:
            parameters.setdefault("cache_control", cache_control)
        upload: dict[str, Any] = {
            "content_type": content_type,
            "predefined_acl": acl,
            "if_generation_match": generation,
            "checksum": None,
            "retry": None,
            "timeout": self._timeout(),
        }
        self.count("PUT")
        # One block for the request: making the blob is no answer from the service.
        with self.failing_as(name):
            blob = self._bucket().blob(key)
            for field, value in parameters.items():
                setattr(blob, field, value)
            # Sent with the upload: Cloud Storage refuses bytes that don't match it.
            blob.md5_hash = base64.b64encode(bytes.fromhex(md5)).decode()
            if path is not None:
                blob.upload_from_filename(str(path), **upload)
            else:
                blob.upload_from_string(data or b"", **upload)
        written: int | None = blob.generation
        return written


def crc32c(path: Path) -> str:
    """The CRC32C of the file's bytes, as Cloud Storage lists it (base64, big-endian)."""
    checksum = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 18):
            checksum.update(chunk)  # type: ignore[no-untyped-call]
    return base64.b64encode(checksum.digest()).decode()  # type: ignore[no-untyped-call]
