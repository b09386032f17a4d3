"""The source files, listed and read once per deploy: the finders' answers and each file's
md5, kept for everyone who asks.

Walking and reading the source folders is most of a deploy that finds little changed. The
fingerprint asks the finders first; the local-sources check and Django's own collect() are
given the same answers instead of walking again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder, get_finders
from django.core.files.storage import FileSystemStorage, Storage

Found = tuple[str, Storage, str]
"""(prefixed path, storage, path): a source as collect() names it, and where to read it."""

READ_SIZE = 1 << 18


@dataclass(frozen=True)
class Listing:
    ignore_patterns: list[str]
    answers: list[tuple[BaseFinder, list[tuple[str, Storage]]]]
    """Each finder, in settings order, with what its list() gave: (path, storage)."""

    @classmethod
    def of_finders(cls, ignore_patterns: Iterable[str]) -> Listing:
        patterns = list(ignore_patterns)
        return cls(patterns, [(finder, list(finder.list(patterns))) for finder in get_finders()])

    def found(self, conflicts: list[str] | None = None) -> Iterator[Found]:
        """Each file collect() would copy, the first one winning; the paths of the files it
        would skip for another with the same path go to ``conflicts``."""
        seen: set[str] = set()
        for _, files in self.answers:
            for path, storage in files:
                prefix = getattr(storage, "prefix", None)
                # The same join as collect(), so names match what it copies.
                prefixed = os.path.join(prefix, path) if prefix else path  # noqa: PTH118
                if prefixed not in seen:
                    seen.add(prefixed)
                    yield prefixed, storage, path
                elif conflicts is not None:
                    conflicts.append(prefixed)

    @cached_property
    def count(self) -> int:
        """How many files collect() copies: one for each path found."""
        return sum(1 for _ in self.found())

    def all_local(self) -> bool:
        """Whether every source file has a local path, so staging can link instead of copy."""
        if os.name != "posix":
            return False
        storages = {
            id(storage): (storage, path) for _, files in self.answers for path, storage in files
        }
        return all(has_path(storage, path) for storage, path in storages.values())

    @contextmanager
    def replayed(self) -> Iterator[None]:
        """While inside, the finders answer list() from this listing instead of walking.

        get_finders() hands out one cached instance per finder, which collect() asks too;
        an attribute on the instance answers before the class's method.
        """
        for finder, files in self.answers:
            finder.list = self._answering(finder, files)  # type: ignore[method-assign]
        try:
            yield
        finally:
            for finder, _ in self.answers:
                vars(finder).pop("list", None)

    def _answering(self, finder: BaseFinder, files: list[tuple[str, Storage]]) -> Any:
        walk = type(finder).list

        def list_sources(ignore_patterns: list[str]) -> Iterable[tuple[str, Storage]]:
            if list(ignore_patterns) == self.ignore_patterns:
                return iter(files)
            return walk(finder, ignore_patterns)  # asked something else: walk after all

        return list_sources


@dataclass(frozen=True)
class Read:
    """Every source listed and read."""

    listing: Listing
    md5s: dict[str, str]
    """Each source's md5, by the path collect() gives it, in the order of those paths."""
    conflicts: list[str]
    """Paths found more than once: only the first is collected, as collect() does."""


def read_sources(ignore_patterns: Iterable[str]) -> Read:
    listing = Listing.of_finders(ignore_patterns)
    conflicts: list[str] = []
    found = sorted(listing.found(conflicts), key=lambda found: found[0])
    return Read(listing, dict(md5s(found)), conflicts)


def md5s(found: Iterable[Found]) -> Iterator[tuple[str, str]]:
    """Each found file's prefixed path and md5, each file read once.

    On a tree of 20,000 small files, Django's File wrapper and a fresh buffer for every file
    cost more than the md5s: a file of a plain FileSystemStorage is read from its path into
    one reused buffer. Any other storage is read through its own open().
    """
    buffer = memoryview(bytearray(READ_SIZE))
    roots: dict[int, str | None] = {}
    for prefixed, storage, path in found:
        if id(storage) not in roots:
            roots[id(storage)] = plain_root(storage)
        root = roots[id(storage)]
        if root is None:
            with storage.open(path) as handle:
                yield prefixed, hashlib.file_digest(handle, "md5").hexdigest()
        else:
            yield prefixed, file_md5(os.path.join(root, path), buffer)  # noqa: PTH118


def has_path(storage: Storage, path: str) -> bool:
    """Whether ``storage`` keeps ``path`` as a local file (remote storages, and storages that
    only list and open, have no path())."""
    try:
        storage.path(path)
    except (NotImplementedError, AttributeError):
        return False
    return True


def plain_root(storage: Storage) -> str | None:
    """Where a FileSystemStorage that reads files as Django's does keeps them, else None.

    The methods are looked up on the instance: a finder may answer with a LazyObject
    (DefaultStorageFinder gives ``default_storage``), whose own class has none of them.
    """
    if not isinstance(storage, FileSystemStorage) or any(
        getattr(getattr(storage, method, None), "__func__", None)
        is not getattr(FileSystemStorage, method)
        for method in ("open", "_open", "path")
    ):
        return None
    return storage.path("")


def file_md5(path: str | os.PathLike[str], buffer: memoryview | None = None) -> str:
    """The md5 of the file at ``path``, read through ``buffer`` if given."""
    if buffer is None:
        buffer = memoryview(bytearray(READ_SIZE))
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            digest.update(buffer[:size])
    return digest.hexdigest()
