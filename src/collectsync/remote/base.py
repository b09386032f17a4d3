"""What every remote does: the interface the deploy writes through, and keys inside a location."""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from collectsync.errors import RemoteError, TransientError
from collectsync.files import Listed, StagedFile
from collectsync.remote.weather import Trouble, Weather


class Remote(Protocol):
    requests: Counter[str]
    """Requests made so far, by operation (GET, PUT, LIST)."""
    weather: Weather
    """How the remote is answering; told of each request's outcome."""

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

    def confirm(self, files: list[StagedFile], *, workers: int) -> tuple[set[str], list[str]]:
        """Of ``files``, whose objects the listing showed but could not vouch for (an S3 ETag
        that may not be an MD5), the names of those the remote shows to hold the staged
        bytes, and the names of those it keeps nothing about that could tell."""

    def delete(self, names: list[str]) -> None:
        """Delete these objects; raise RemoteError naming the first that could not be."""


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


@contextmanager
def failing_as(
    meanings: ErrorMeanings,
    weather: Weather,
    container: str,
    location: str,
    name: str,
    destination: str,
) -> Iterator[None]:
    """Turn what the client library raises about ``name`` (``/``: the whole location) into one
    sentence: a TransientError when the trouble passes (so the request is tried again), else a
    RemoteError; and tell the weather how the request went."""
    sent = weather.now()
    try:
        yield
    except RemoteError:
        raise
    except Exception as error:  # whatever the client library and its transport raise
        key = join_key(location, name) if name != "/" else f"{location}/"
        failure = meanings.remote_error(error, container, key, destination)
        kind = meanings.trouble(error)
        if kind is None:
            raise failure from error
        weather.failed(meanings.first_line(error), kind, sent=sent)
        raise TransientError(str(failure), throttled=kind != "transient") from error
    weather.succeeded()
