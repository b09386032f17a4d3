"""Every attempt botocore makes at an S3 request, told to the deploy's weather.

botocore's standard retry mode retries each request itself (backoff with jitter, a retry
quota); these hooks watch it: throttling lowers the uploads in flight, the pause before
each retry is counted, and once the connection counts as lost, the next failed attempt ends
its request instead of being retried. A file upload is not retried by botocore at all: it
would sleep out the backoff in an upload slot that another file could use, so the upload pool
schedules it again itself (sync/upload.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError, HTTPClientError

from collectsync.remote.s3.errors import Unretried, failure_kind, short_reason
from collectsync.remote.weather import Weather

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")


class AttemptWatcher:
    def __init__(self, weather: Weather) -> None:
        self._weather = weather
        self._failed_at = threading.local()
        self._sent_at = threading.local()
        self._unretried = threading.local()

    @contextmanager
    def unretried(self) -> Iterator[None]:
        """Requests made by this thread inside end at their first failure (Unretried)."""
        self._unretried.on = True
        try:
            yield
        finally:
            self._unretried.on = False

    def watch(self, client: S3Client) -> None:
        events = client.meta.events
        events.register("needs-retry.s3", self._answered)
        events.register("before-send.s3", self._sending)
        events.register("after-call.s3", self._call_ended)
        events.register("after-call-error.s3", self._call_ended)

    def once(self, attempt: Callable[[], T]) -> T:
        """One attempt made outside botocore (the CRT's uploads), told to the weather as
        botocore's are; on passing trouble it raises Unretried, as a pool upload does."""
        sent = self._weather.now()
        try:
            result = attempt()
        except (ClientError, HTTPClientError) as error:
            parsed = error.response if isinstance(error, ClientError) else None
            status = (parsed or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
            if self._told(parsed, status, None if parsed is not None else error, sent):
                raise Unretried(error) from error
            raise
        self._weather.succeeded()
        return result

    def _answered(
        self,
        response: tuple[Any, dict[str, Any]] | None = None,
        caught_exception: Exception | None = None,
        **kwargs: Any,
    ) -> None:
        http, parsed = response if response is not None else (None, None)
        status = getattr(http, "status_code", None)
        sent = getattr(self._sent_at, "at", None)
        if not self._told(parsed, status, caught_exception, sent):
            return
        if getattr(self._unretried, "on", False):
            operation = kwargs.get("operation")
            name = getattr(operation, "name", "request")
            raise Unretried(caught_exception or ClientError(parsed or {}, name))  # type: ignore[arg-type]
        self._failed_at.at = self._weather.now()

    def _told(
        self,
        parsed: Mapping[str, Any] | None,
        status: int | None,
        exception: Exception | None,
        sent: float | None,
    ) -> bool:
        """Tell the weather how an attempt went; whether it was passing trouble. Once the
        connection counts as lost, raises ConnectionLost: the request ends here."""
        kind = failure_kind(parsed, status, exception)
        if kind is None:
            self._weather.succeeded()
            return False
        self._weather.failed(short_reason(parsed, status, exception), kind, sent=sent)
        lost = self._weather.lost()
        if lost is not None:
            raise lost
        return True

    def _sending(self, **kwargs: Any) -> None:
        self._sent_at.at = self._weather.now()
        failed_at = getattr(self._failed_at, "at", None)
        if failed_at is not None:
            self._failed_at.at = None
            self._weather.backed_off(self._weather.now() - failed_at)

    def _call_ended(self, **kwargs: Any) -> None:
        self._failed_at.at = None
