"""A remote in memory, for the tests of what writes through one."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from collectsync.errors import ConcurrentUpdate, RemoteError
from collectsync.files import Listed, StagedFile
from collectsync.remote.base import Remote
from collectsync.remote.weather import Weather


class RecordingRemote(Remote):
    """A remote that keeps writes in memory and fails for the names it is told to."""

    scheme = "memory"

    def __init__(self, failing: set[str] | None = None) -> None:
        super().__init__("test", "")
        self.objects: dict[str, bytes] = {}
        self.writes: list[str] = []
        self.deletions: list[str] = []
        self.events: list[str] = []
        """Writes and deletions in the order they happened: "write a.css", "delete a.css.gz"."""
        self.failing = failing or set()
        self._lock = threading.Lock()
        self.last_read: dict[str, bytes | None] = {}
        self.before_conditional_write: Callable[[RecordingRemote], None] | None = None
        self.weather = Weather(self.destination, retry_deadline=600, lost_after=60)

    def listing(self) -> dict[str, Listed]:
        return {
            name: Listed(len(data), hashlib.md5(data).hexdigest())
            for name, data in self.objects.items()
        }

    def names(self) -> set[str]:
        return set(self.objects)

    def confirm(self, files: list[StagedFile], *, workers: int) -> tuple[set[str], list[str]]:
        held = {f.name for f in files if self.listing().get(f.name) == Listed(f.size, f.md5)}
        return held, []

    def delete(self, names: list[str]) -> None:
        for name in names:
            del self.objects[name]
            self.deletions.append(name)
            self.events.append(f"delete {name}")

    def read(self, name: str) -> bytes | None:
        self.last_read[name] = self.objects.get(name)
        return self.objects.get(name)

    def copy(self, source: str, name: str, *, if_source_unchanged: bool = False) -> None:
        if source not in self.objects:
            raise RemoteError(f"'{source}' is missing")
        with self._lock:
            self.objects[name] = self.objects[source]
            self.events.append(f"copy {source} {name}")

    def write(self, staged: StagedFile) -> None:
        self.write_bytes(staged.name, staged.path.read_bytes())

    def write_bytes(self, name: str, data: bytes, *, if_unchanged: bool = False) -> None:
        if if_unchanged and self.before_conditional_write:
            self.before_conditional_write(self)
        if if_unchanged and name in self.last_read and self.objects[name] != self.last_read[name]:
            raise ConcurrentUpdate(f"'{name}' changed")
        if name in self.failing:
            raise OSError(f"injected failure for {name}")
        with self._lock:
            self.objects[name] = data
            self.last_read[name] = data
            self.writes.append(name)
            self.events.append(f"write {name}")
