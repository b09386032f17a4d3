"""The S3 fast path: one PutObject per file, through a lent boto3 client or the CRT."""

from __future__ import annotations

import base64
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from collectsync.conf import conf
from collectsync.errors import RemoteError
from collectsync.files import Listed, StagedFile
from collectsync.remote.base import Remote
from collectsync.remote.s3 import config
from collectsync.remote.s3.attempts import AttemptWatcher
from collectsync.remote.s3.checksums import holds
from collectsync.remote.s3.clients import Clients
from collectsync.remote.s3.config import for_endpoint, with_retries, write_parameters
from collectsync.remote.s3.errors import (
    MISSING_OBJECT_CODES,
    UNSUPPORTED_CODES,
    Unretried,
    copy_error,
    error_code,
    put_error,
    remote_error,
)
from collectsync.remote.weather import in_rounds

logger = logging.getLogger("collectsync")

if TYPE_CHECKING:
    from storages.backends.s3 import S3Storage

DELETE_BATCH = 1000  # the most one DeleteObjects request takes


class S3Remote(Remote):
    scheme = "s3"

    def __init__(self, storage: S3Storage) -> None:
        super().__init__(storage.bucket_name, storage.location or "")
        self._storage = storage
        config = for_endpoint(with_retries(storage.client_config), storage.endpoint_url)
        self._watcher = AttemptWatcher(self.weather)
        self._clients = Clients(storage, config, self._watcher)
        self._etags: dict[str, str | None] = {}
        """The ETag of each object as last read or written here; None: it was absent."""
        self._checksum_mode = True
        """Whether to ask for S3's additional checksums: False once the service refused."""

    @in_rounds
    def read(self, name: str) -> bytes | None:
        key = self.key(name)
        self.count("GET")
        try:
            with self._clients.lent() as client:
                response = client.get_object(Bucket=self.container, Key=key)
                data: bytes = response["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING_OBJECT_CODES:
                self._etags[name] = None
                return None
            raise remote_error(error, self.container, key) from error
        except BotoCoreError as error:
            raise remote_error(error, self.container, key) from error
        self._etags[name] = response["ETag"]
        return data

    @in_rounds
    def listing(self) -> dict[str, Listed]:
        prefix = f"{self.location}/" if self.location else ""
        objects: dict[str, Listed] = {}
        try:
            with self._clients.lent() as client:
                pages = client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.container, Prefix=prefix
                )
                for page in pages:
                    self.count("LIST")
                    for item in page.get("Contents", []):
                        etag = item["ETag"].strip('"')
                        # Only a single-part, non-KMS upload has its MD5 as ETag: 32 hex digits.
                        md5 = etag if len(etag) == 32 and "-" not in etag else None
                        objects[item["Key"].removeprefix(prefix)] = Listed(item["Size"], md5)
        except (ClientError, BotoCoreError) as error:
            raise remote_error(error, self.container, prefix or "/") from error
        return objects

    def confirm(self, files: list[StagedFile], *, workers: int) -> tuple[set[str], list[str]]:
        """Of files whose objects a listing could not vouch for, the names of those holding
        the staged bytes, and of those whose objects keep nothing that can tell."""
        if not files:
            return set(), []
        with ThreadPoolExecutor(min(workers, len(files)), "collectsync-head") as pool:
            answers = dict(pool.map(self._holds, files))
        held = {name for name, answer in answers.items() if answer}
        return held, [name for name, answer in answers.items() if answer is None]

    def _holds(self, staged: StagedFile) -> tuple[str, bool | None]:
        return staged.name, (head := self._head(staged.name)) is not None and holds(head, staged)

    @in_rounds
    def _head(self, name: str) -> dict[str, Any] | None:
        key = self.key(name)
        self.count("HEAD")
        mode: Any = {"ChecksumMode": "ENABLED"} if self._checksum_mode else {}
        try:
            with self._clients.lent() as client:
                return dict(client.head_object(Bucket=self.container, Key=key, **mode))
        except ClientError as error:
            code = error_code(error)
            if code in MISSING_OBJECT_CODES:
                return None
            if mode and code in {"InvalidArgument", "400", *UNSUPPORTED_CODES}:
                self._checksum_mode = False  # a service without S3's additional checksums
                return self._head(name)
            raise remote_error(error, self.container, key) from error
        except BotoCoreError as error:
            raise remote_error(error, self.container, key) from error

    @in_rounds
    def delete(self, names: list[str]) -> None:
        failed: list[str] = []
        for start in range(0, len(names), DELETE_BATCH):
            keys = [self.key(name) for name in names[start : start + DELETE_BATCH]]
            self.count("DELETE")
            try:
                with self._clients.lent() as client:
                    response = client.delete_objects(
                        Bucket=self.container,
                        Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
                    )
            except (ClientError, BotoCoreError) as error:
                raise remote_error(error, self.container, keys[0]) from error
            failed += [
                f"'{error.get('Key')}' ({error.get('Code')})"
                for error in response.get("Errors", [])
            ]
        if failed:
            raise RemoteError(
                f"{len(failed)} object{'s' if len(failed) != 1 else ''} in bucket "
                f"'{self.container}' could not be deleted, the first {failed[0]}; check the "
                "credentials' s3:DeleteObject permission and rerun."
            )

    @in_rounds
    def copy(self, source: str, name: str, *, if_source_unchanged: bool = False) -> None:
        key = self.key(name)
        etag = self._etags.get(source) if if_source_unchanged else None
        parameters = config.copy_parameters(self._storage, key, etag)
        source_key = self.key(source)
        self.count("COPY")
        try:
            etag = self._clients.through_crt(
                self.container,
                "CopyObject",
                parameters,
                lambda crt, headers: crt.copy(key, source_key, headers),
            )
            if etag is not None:
                return
            with self._clients.lent() as client:
                client.copy_object(
                    Bucket=self.container,
                    Key=key,
                    CopySource={"Bucket": self.container, "Key": source_key},
                    **parameters,
                )
        except (ClientError, BotoCoreError, Unretried) as error:  # in_rounds tries again
            raise copy_error(error, self.container, source_key) from error

    def write(self, staged: StagedFile) -> None:
        with staged.path.open("rb") as body:
            self._put(self.key(staged.name), body, staged.md5, self._cache_control(staged))

    def write_once(self, staged: StagedFile) -> None:
        # Never retried inside the request: botocore would sleep out its backoff in the slot.
        self._put(self.key(staged.name), staged, staged.md5, self._cache_control(staged))

    def _cache_control(self, staged: StagedFile) -> str | None:
        return conf.IMMUTABLE_CACHE_CONTROL if staged.immutable else conf.MUTABLE_CACHE_CONTROL

    @in_rounds
    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        key = self.key(name)
        conditions: dict[str, str] = {}
        if if_unchanged and name in self._etags:
            etag = self._etags[name]
            conditions = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        md5 = hashlib.md5(data).hexdigest()
        try:
            etag = self._put(key, data, md5, cache_control=None, conditions=conditions)
        except ClientError as error:
            if not conditions or error_code(error) not in UNSUPPORTED_CODES:
                raise remote_error(error, self.container, key) from error
            # Some S3-compatible services refuse them: the last index written wins, as elsewhere.
            logger.warning(
                "Bucket '%s' does not support conditional writes (%s); the sync index was "
                "written unconditionally, so a concurrent deploy may overwrite it.",
                self.container,
                error_code(error),
            )
            etag = self._put(key, data, md5, cache_control=None)
        self._etags[name] = etag

    def _put(
        self,
        key: str,
        body: IO[bytes] | bytes | StagedFile,
        md5: str,
        cache_control: str | None,
        conditions: dict[str, str] | None = None,
    ) -> str:
        """Write ``body`` as ``key``; its ETag. A staged file is written once, unretried, and
        through the CRT where it can be sent as botocore would (small, header parameters)."""
        # ContentMD5 makes S3 reject a body that was corrupted on the way.
        content_md5 = base64.b64encode(bytes.fromhex(md5)).decode()
        parameters = write_parameters(self._storage, key, cache_control, md5)
        parameters = {**parameters, "ContentMD5": content_md5, **(conditions or {})}
        self.count("PUT")
        try:
            if not isinstance(body, StagedFile):
                return self._sent(key, body, parameters)
            path, size = body.path, body.size
            etag = self._clients.through_crt(
                self.container,
                "PutObject",
                parameters,
                lambda crt, headers: crt.put(key, path, size, headers),
                size,
            )
            if etag is not None:
                return etag
            with self._watcher.unretried(), body.path.open("rb") as handle:
                return self._sent(key, handle, parameters)
        except (ClientError, BotoCoreError, Unretried) as error:
            refused = put_error(error, self.container, key, parameters)
            if refused is None:
                raise  # write_bytes tries again without the conditions
            raise refused from error

    def _sent(self, key: str, body: IO[bytes] | bytes, parameters: dict[str, Any]) -> str:
        with self._clients.lent() as client:
            response = client.put_object(Bucket=self.container, Key=key, Body=body, **parameters)
        return str(response["ETag"])
