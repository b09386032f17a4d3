"""The S3 fast path: one PutObject per file through a per-thread boto3 client."""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import threading
from collections import Counter
from typing import IO, TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from collectsync.conf import conf
from collectsync.errors import ConcurrentUpdate, RemoteError
from collectsync.records import Listed, StagedFile
from collectsync.remote.base import join_key
from collectsync.remote.s3_attempts import AttemptWatcher
from collectsync.remote.s3_errors import (
    MISSING_OBJECT_CODES,
    UNSUPPORTED_CODES,
    error_code,
    remote_error,
)
from collectsync.weather import Weather, in_rounds

logger = logging.getLogger("collectsync")

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from storages.backends.s3 import S3Storage

DELETE_BATCH = 1000  # the most one DeleteObjects request takes


class S3Remote:
    def __init__(self, storage: S3Storage) -> None:
        self._storage = storage
        self.bucket: str = storage.bucket_name
        self.location: str = (storage.location or "").strip("/")
        # One boto3 session, made the way the storage makes its own, and one client per thread
        # from it: a session is cheap to share, but boto3 resources are not thread-safe and a
        # session per thread costs about 0.25 s of CPU each.
        self._session = storage._create_session()
        self._session_lock = threading.Lock()
        self._clients = threading.local()
        self._client_config = with_retries(storage.client_config)
        self.weather = Weather.from_settings(self.destination)
        self._watcher = AttemptWatcher(self.weather)
        self.requests: Counter[str] = Counter()
        self._requests_lock = threading.Lock()
        self._etags: dict[str, str | None] = {}
        """The ETag of each object as last read or written here; None: it was absent."""

    def _count(self, operation: str) -> None:
        with self._requests_lock:
            self.requests[operation] += 1

    @property
    def destination(self) -> str:
        return f"s3://{self.bucket}/{self.location}".rstrip("/")

    def _client(self) -> S3Client:
        client: S3Client | None = getattr(self._clients, "client", None)
        if client is None:
            with self._session_lock:  # creating clients from one session is not thread-safe
                client = self._session.client(
                    "s3",
                    region_name=self._storage.region_name,
                    use_ssl=self._storage.use_ssl,
                    endpoint_url=self._storage.endpoint_url,
                    config=self._client_config,
                    verify=self._storage.verify,
                )
            self._watcher.watch(client)
            self._clients.client = client
        return client

    @in_rounds
    def read(self, name: str) -> bytes | None:
        key = join_key(self.location, name)
        self._count("GET")
        try:
            response = self._client().get_object(Bucket=self.bucket, Key=key)
            data: bytes = response["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING_OBJECT_CODES:
                self._etags[name] = None
                return None
            raise remote_error(error, self.bucket, key) from error
        except BotoCoreError as error:
            raise remote_error(error, self.bucket, key) from error
        self._etags[name] = response["ETag"]
        return data

    @in_rounds
    def listing(self) -> dict[str, Listed]:
        prefix = f"{self.location}/" if self.location else ""
        objects: dict[str, Listed] = {}
        try:
            pages = (
                self._client()
                .get_paginator("list_objects_v2")
                .paginate(Bucket=self.bucket, Prefix=prefix)
            )
            for page in pages:
                self._count("LIST")
                for item in page.get("Contents", []):
                    etag = item["ETag"].strip('"')
                    # Only a single-part, non-KMS upload has its MD5 as ETag: 32 hex digits.
                    md5 = etag if len(etag) == 32 and "-" not in etag else None
                    objects[item["Key"].removeprefix(prefix)] = Listed(item["Size"], md5)
        except (ClientError, BotoCoreError) as error:
            raise remote_error(error, self.bucket, prefix or "/") from error
        return objects

    def names(self) -> set[str]:
        return set(self.listing())

    @in_rounds
    def delete(self, names: list[str]) -> None:
        failed: list[str] = []
        for start in range(0, len(names), DELETE_BATCH):
            keys = [join_key(self.location, name) for name in names[start : start + DELETE_BATCH]]
            self._count("DELETE")
            try:
                response = self._client().delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
                )
            except (ClientError, BotoCoreError) as error:
                raise remote_error(error, self.bucket, keys[0]) from error
            failed += [
                f"'{error.get('Key')}' ({error.get('Code')})"
                for error in response.get("Errors", [])
            ]
        if failed:
            raise RemoteError(
                f"{len(failed)} object{'s' if len(failed) != 1 else ''} in bucket "
                f"'{self.bucket}' could not be deleted, the first {failed[0]}; check the "
                "credentials' s3:DeleteObject permission and rerun."
            )

    def write(self, staged: StagedFile) -> None:
        key = join_key(self.location, staged.name)
        cache_control = (
            conf.IMMUTABLE_CACHE_CONTROL if staged.immutable else conf.MUTABLE_CACHE_CONTROL
        )
        with staged.path.open("rb") as body:
            self._put(key, body, staged.md5, cache_control)

    @in_rounds
    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        key = join_key(self.location, name)
        conditions: dict[str, str] = {}
        if if_unchanged and name in self._etags:
            etag = self._etags[name]
            conditions = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        md5 = hashlib.md5(data).hexdigest()
        try:
            etag = self._put(key, data, md5, cache_control=None, conditions=conditions)
        except ClientError as error:
            if not conditions or error_code(error) not in UNSUPPORTED_CODES:
                raise remote_error(error, self.bucket, key) from error
            # Some S3-compatible services reject conditional writes; without them the last
            # index written wins, as on storages other than S3.
            logger.warning(
                "Bucket '%s' does not support conditional writes (%s); the sync index was "
                "written unconditionally, so a concurrent deploy may overwrite it.",
                self.bucket,
                error_code(error),
            )
            etag = self._put(key, data, md5, cache_control=None)
        self._etags[name] = etag

    def _put(
        self,
        key: str,
        body: IO[bytes] | bytes,
        md5: str,
        cache_control: str | None,
        conditions: dict[str, str] | None = None,
    ) -> str:
        # ContentMD5 makes S3 reject a body that was corrupted on the way.
        content_md5 = base64.b64encode(bytes.fromhex(md5)).decode()
        self._count("PUT")
        try:
            response = self._client().put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentMD5=content_md5,
                **self.write_parameters(key, cache_control),
                **(conditions or {}),  # type: ignore[arg-type]
            )
        except ClientError as error:
            if error_code(error) in ("PreconditionFailed", "412"):
                raise ConcurrentUpdate(
                    f"'{key}' in bucket '{self.bucket}' changed while this deploy ran."
                ) from error
            if conditions and error_code(error) in UNSUPPORTED_CODES:
                raise  # write_bytes retries without the conditions
            raise remote_error(error, self.bucket, key) from error
        except BotoCoreError as error:
            raise remote_error(error, self.bucket, key) from error
        etag: str = response["ETag"]
        return etag

    def write_parameters(self, key: str, cache_control: str | None = None) -> dict[str, Any]:
        """The parameters django-storages itself would send for ``key``, and a cache policy.

        The storage's own CacheControl (``AWS_S3_OBJECT_PARAMETERS``) wins over ours.
        """
        params: dict[str, Any] = dict(self._storage.get_object_parameters(key))
        if cache_control and "CacheControl" not in params:
            params["CacheControl"] = cache_control
        if "ContentType" not in params:
            content_type, encoding = mimetypes.guess_type(key)
            params["ContentType"] = content_type or self._storage.default_content_type
            if encoding:
                params["ContentEncoding"] = encoding
        if "ACL" not in params and self._storage.default_acl:
            params["ACL"] = self._storage.default_acl
        return params


def with_retries(config: Config | None) -> Config:
    """The storage's client config, with retries and timeouts where it sets none itself.

    botocore's standard mode retries connection errors, timeouts, 5xx answers and throttling,
    with exponential backoff and jitter. Its own timeouts (60 s) would let one hung connection
    hold a worker for minutes.
    """
    config = config or Config()
    chosen = getattr(config, "_user_provided_options", {})
    ours: dict[str, Any] = {}
    if getattr(config, "retries", None) is None:
        ours["retries"] = {"mode": "standard", "total_max_attempts": conf.MAX_ATTEMPTS}
    if "connect_timeout" not in chosen:
        ours["connect_timeout"] = conf.CONNECT_TIMEOUT
    if "read_timeout" not in chosen:
        ours["read_timeout"] = conf.READ_TIMEOUT
    return config.merge(Config(**ours)) if ours else config
