"""What every remote adapter shares: the interface the deploy writes through, the requests
counted, the weather, keys inside a location, and error classification."""

from __future__ import annotations

import posixpath
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar, Protocol

from collectsync.errors import RemoteError, TransientError
from collectsync.files import Listed, StagedFile
from collectsync.remote.weather import Trouble, Weather


class Remote:
    """What every adapter shares: where it writes (a bucket or container, and a location in it),
    the requests it has made, how the remote is answering (its weather), and what its client
    library's errors mean. An adapter subclasses it for one kind of remote."""

    scheme: ClassVar[str] = ""
    """How a user writes this kind of remote: ``s3`` for ``s3://bucket/prefix``."""
    meanings: ClassVar[ErrorMeanings | None] = None
    """What its client library's errors mean (see failing_as())."""

    def __init__(self, container: str, location: str) -> None:
        self.container = container
        self.location = location.strip("/")
        self.requests: Counter[str] = Counter()
        """Requests made so far, by operation (GET, PUT, LIST)."""
        self._counting = threading.Lock()
        self.weather = Weather.from_settings(self.destination)
        """How the remote is answering; told of each request's outcome."""

    @property
    def destination(self) -> str:
        """Where files go, as a user would write it (``s3://bucket/prefix``)."""
        return f"{self.scheme}://{self.container}/{self.location}".rstrip("/")

    def count(self, operation: str) -> None:
        with self._counting:
            self.requests[operation] += 1

    def key(self, name: str) -> str:
        """The object key of ``name``: inside the location, never outside it."""
        return join_key(self.location, name)

    @contextmanager
    def failing_as(self, name: str) -> Iterator[None]:
        """Turn what the client library raises about ``name`` (``/``: the whole location)
        into one sentence: a TransientError when the trouble passes (so the request is tried
        again), else a RemoteError; and tell the weather how the request went."""
        assert self.meanings is not None, "an adapter that uses failing_as() has meanings"
        sent = self.weather.now()
        try:
            yield
        except RemoteError:
            raise
        except Exception as error:  # whatever the client library and its transport raise
            key = self.key(name) if name != "/" else f"{self.location}/"
            failure = self.meanings.remote_error(error, self.container, key, self.destination)
            kind = self.meanings.trouble(error)
            if kind is None:
                raise failure from error
            self.weather.failed(self.meanings.first_line(error), kind, sent=sent)
            raise TransientError(str(failure), throttled=kind != "transient") from error
        self.weather.succeeded()

    def read(self, name: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""
        raise NotImplementedError

    def write(self, staged: StagedFile) -> None:
        """Write the staged file under its name, overwriting in place. Thread-safe."""
        raise NotImplementedError

    def write_once(self, staged: StagedFile) -> None:
        """``write()``, where a failure that passes may end the request at once (as a
        TransientError) instead of being retried in it: the upload pool tries the file
        again later and, meanwhile, uses its slot for another."""
        self.write(staged)

    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        """Write ``data``; with ``if_unchanged``, only if the object is as this remote last
        read it (absent included), else raise ConcurrentUpdate. Remotes without conditional
        writes write unconditionally."""
        raise NotImplementedError

    def copy(self, source: str, name: str, *, if_source_unchanged: bool = False) -> None:
        """Copy the object ``source`` to ``name`` inside the remote, its content type and
        cache policy with it, without the bytes passing through this machine; with
        ``if_source_unchanged``, only if ``source`` is as this remote last read it, else raise
        ConcurrentUpdate. Raise RemoteError when ``source`` is missing."""
        raise NotImplementedError

    def listing(self) -> dict[str, Listed] | None:
        """Every object under the location by name, or None if this remote can't list."""
        raise NotImplementedError

    def names(self) -> set[str]:
        """The name of every object under the location."""
        listing = self.listing()
        assert listing is not None, "a remote that can't list says which names it has"
        return set(listing)

    def confirm(self, files: list[StagedFile], *, workers: int) -> tuple[set[str], list[str]]:
        """Of ``files``, whose objects the listing showed but could not vouch for (an S3 ETag
        that may not be an MD5), the names of those the remote shows to hold the staged
        bytes, and the names of those it keeps nothing about that could tell."""
        return set(), [f.name for f in files]

    def delete(self, names: list[str]) -> None:
        """Delete these objects; raise RemoteError naming the first that could not be."""
        raise NotImplementedError


THROTTLING_STATUSES = {429, 503}
PASSING_STATUSES = {408, 500, 502, 504}


def trouble_of_status(status: object) -> Trouble | None:
    """The kind of passing trouble an HTTP status is, if it is one."""
    if status in THROTTLING_STATUSES:
        return "throttled"
    return "transient" if status in PASSING_STATUSES else None


def join_key(location: str, name: str) -> str:
    """``name`` inside ``location``; refuses names that would leave it."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise RemoteError(
            f"Refusing to write '{name}': the name would leave the storage's location."
        )
    location = location.strip("/")
    return posixpath.join(location, name) if location else name


class ErrorMeanings(Protocol):
    """What a client library's errors mean: a module such as ``remote/gcs/errors.py``."""

    def trouble(self, error: Exception) -> Trouble | None: ...

    def first_line(self, error: Exception) -> str: ...

    def remote_error(
        self, error: Exception, container: str, key: str, destination: str
    ) -> RemoteError: ...
