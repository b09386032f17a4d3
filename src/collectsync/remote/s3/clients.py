"""The clients a deploy's requests go through: boto3 clients made as the storage would make
them and lent to one request at a time, and the CRT's client (the crt extra) for what it can
send as botocore would."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from collectsync.conf import conf
from collectsync.remote.s3.attempts import AttemptWatcher
from collectsync.remote.s3.config import CONTINUE_ABOVE, new_client
from collectsync.remote.s3.crt import CrtClient, crt_client_for
from collectsync.remote.s3.errors import WRONG_REGION_CODES, error_code

logger = logging.getLogger("collectsync")

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from storages.backends.s3 import S3Storage


class Clients:
    """Clients made from one session as the storage would make them, each lent to one
    request at a time: a session per thread costs about 0.25 s of CPU, a client about 10 ms,
    and a client lent again keeps its connections warm."""

    def __init__(self, storage: S3Storage, config: Config, watcher: AttemptWatcher) -> None:
        self._storage = storage
        self._session = storage._create_session()
        self._config = config
        self._watcher = watcher
        self._lock = threading.Lock()  # making clients from one session is not thread-safe
        self._idle: list[S3Client] = []
        self._crt: CrtClient | None = None
        self._crt_looked_for = False

    def crt(self, bucket: str) -> CrtClient | None:
        """The CRT's client for ``bucket`` where its requests can be botocore's very ones
        (crt.py); made at the first upload or copy, so that deploys that write no file don't."""
        if not self._crt_looked_for:
            with self.lent() as client, self._lock:
                if not self._crt_looked_for:
                    self._crt_looked_for = True
                    self._crt = crt_client_for(
                        client,
                        self._session,
                        bucket,
                        verify=self._storage.verify,
                        connect_timeout=conf.CONNECT_TIMEOUT,
                        read_timeout=conf.READ_TIMEOUT,
                    )
        return self._crt

    def through_crt(
        self,
        bucket: str,
        operation: str,
        parameters: Mapping[str, Any],
        send: Callable[[CrtClient, list[tuple[str, str]]], str],
        size: int = 0,
    ) -> str | None:
        """``send`` the ``operation`` through the CRT, once; its ETag. None if botocore must
        send it: the CRT is not installed, or can't say it as botocore would."""
        crt = self.crt(bucket) if size <= CONTINUE_ABOVE else None
        if crt is None or (headers := crt.headers(parameters, operation)) is None:
            return None
        try:
            return self._watcher.once(lambda: send(crt, headers))
        except ClientError as error:
            if error_code(error) not in WRONG_REGION_CODES:
                raise
            # botocore follows S3 to the bucket's region and remembers it; the CRT doesn't.
            self.without_crt(bucket, error_code(error))
            return None

    def without_crt(self, bucket: str, code: str) -> None:
        """Every upload and copy through botocore from now on: the CRT's were refused with
        ``code``, S3's answer to a request signed for another region than the bucket's."""
        with self._lock:
            dropped_before, self._crt, self._crt_looked_for = self._crt is None, None, True
        if not dropped_before:  # warned once, by the first upload refused
            logger.warning(
                "Bucket '%s' is in another region than its storage's settings say (%s): "
                "botocore found it, and uploads and copies go through botocore instead of the "
                "CRT; set AWS_S3_REGION_NAME (or the storage's region_name) to the bucket's "
                "region.",
                bucket,
                code,
            )

    @contextmanager
    def lent(self) -> Iterator[S3Client]:
        with self._lock:
            if self._idle:
                client = self._idle.pop()
            else:
                client = new_client(self._session, self._storage, self._config)
                self._watcher.watch(client)
        try:
            yield client
        finally:
            with self._lock:
                self._idle.append(client)
