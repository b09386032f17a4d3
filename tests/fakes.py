from __future__ import annotations

import hashlib
import threading
from collections import Counter

from collectsync.remote import Listed
from collectsync.staging import StagedFile


class RecordingRemote:
    """A remote that keeps writes in memory and fails for the names it is told to."""

    destination = "memory://test"

    def __init__(self, failing: set[str] | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.writes: list[str] = []
        self.failing = failing or set()
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()

    def listing(self) -> dict[str, Listed]:
        return {
            name: Listed(len(data), hashlib.md5(data).hexdigest())
            for name, data in self.objects.items()
        }

    def read(self, name: str) -> bytes | None:
        return self.objects.get(name)

    def write(self, staged: StagedFile) -> None:
        self.write_bytes(staged.name, staged.path.read_bytes())

    def write_bytes(self, name: str, data: bytes) -> None:
        if name in self.failing:
            raise OSError(f"injected failure for {name}")
        with self._lock:
            self.objects[name] = data
            self.writes.append(name)
