"""Upload: write files to a remote through a bounded pool of worker threads, as many at once
as the remote's weather allows, retrying what failed on something that passes."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from collectsync.errors import ConcurrentUpdate, ConnectionLost, RemoteError, TransientError
from collectsync.files import StagedFile
from collectsync.remote.base import Remote

LOST_CHECK = 1.0
"""Seconds between looks at whether the connection counts as lost, while waiting."""
REFUSALS_BEFORE_STOP = 5
"""Uploads refused for good (access denied, a header the service doesn't implement) after
which the others are not tried: retrying can't fix what the remote refuses outright."""
QUEUED_PER_WORKER = 4
"""How many files may wait per worker: a queued upload costs ~2 KB, so 80,000 at once would
cost 160 MB, while a short queue keeps every worker busy all the same."""


@dataclass(frozen=True)
class Failure:
    file: StagedFile
    error: BaseException

    @property
    def refused(self) -> bool:
        """Whether the remote refused the upload for good: no later round would succeed."""
        passing = (TransientError, ConnectionLost, ConcurrentUpdate)
        return isinstance(self.error, RemoteError) and not isinstance(self.error, passing)


class UploadPool:
    """Worker threads writing files to a remote; ``submit`` waits while the queue is full.

    The workers are daemon threads: once the deploy has given up (Ctrl-C, a lost connection),
    one stuck in a request to a dead network must not keep the process from exiting.
    """

    def __init__(
        self,
        remote: Remote,
        *,
        workers: int,
        on_uploaded: Callable[[StagedFile], None] = lambda staged: None,
    ) -> None:
        self._remote = remote
        remote.weather.allow(workers)
        self._on_uploaded = on_uploaded
        self._stopping = threading.Event()
        self._queue: queue.SimpleQueue[StagedFile | None] = queue.SimpleQueue()
        self._slots = threading.Semaphore(workers * QUEUED_PER_WORKER)
        self._lock = threading.Condition()
        self._uploading: dict[int, StagedFile] = {}
        self.uploaded: list[StagedFile] = []
        self.failures: list[Failure] = []
        self.unfinished = 0
        """Files submitted whose upload has not ended yet."""
        self._workers = [
            threading.Thread(target=self._work, name=f"collectsync-upload-{n}", daemon=True)
            for n in range(workers)
        ]
        for worker in self._workers:
            worker.start()

    def submit(self, staged: StagedFile) -> None:
        while not self._slots.acquire(timeout=LOST_CHECK):
            lost = self._remote.weather.lost()
            if lost is not None:
                raise lost  # the workers are stuck on a dead network: don't wait for them
        with self._lock:
            self.unfinished += 1
        self._queue.put(staged)

    def _work(self) -> None:
        while (staged := self._queue.get()) is not None:
            try:
                if not self._stopping.is_set():
                    self._upload(staged)
            finally:
                with self._lock:
                    self.unfinished -= 1
                    self._lock.notify_all()
                self._slots.release()

    def _upload(self, staged: StagedFile) -> None:
        with self._lock:
            self._uploading[threading.get_ident()] = staged
        error = self._upload_in_rounds(staged)
        with self._lock:
            if self._uploading.pop(threading.get_ident(), None) is None:
                return  # given up on already: the connection was lost
            if error is None:
                self.uploaded.append(staged)
                self._on_uploaded(staged)
                return
            self.failures.append(Failure(staged, error))
            if sum(failure.refused for failure in self.failures) >= REFUSALS_BEFORE_STOP:
                self._stopping.set()  # the files still queued are not tried

    def _upload_in_rounds(self, staged: StagedFile) -> BaseException | None:
        """Write ``staged``, again in later rounds while it fails on something that passes;
        the error that ended it, if it did not succeed."""
        weather = self._remote.weather

        def write() -> None:
            with weather.slot():
                self._remote.write(staged)

        try:
            weather.in_rounds(write, self._stopping)
        except Exception as error:
            return error
        return None

    def finish(self) -> None:
        """Wait for every submitted upload (see _wait)."""
        for _ in self._workers:
            self._queue.put(None)
        self._wait()

    def cancel(self, *, wait: bool) -> None:
        """Drop what is queued; with ``wait``, wait for the uploads under way (see _wait), so
        that none goes on writing once the deploy has failed."""
        self._stopping.set()
        for _ in self._workers:
            self._queue.put(None)
        if wait:
            self._wait()

    def _wait(self) -> None:
        """Wait until no upload is unfinished, or the connection counts as lost: then the
        uploads under way fail with it, whatever their own timeouts would still wait."""
        with self._lock:
            while self.unfinished:
                self._lock.wait(timeout=LOST_CHECK)
                lost = self._remote.weather.lost()
                if lost is not None and self._uploading:
                    self.failures += [Failure(f, lost) for f in self._uploading.values()]
                    self._uploading.clear()
                    self._stopping.set()
                    return


@contextmanager
def upload_pool(
    remote: Remote,
    *,
    workers: int,
    on_uploaded: Callable[[StagedFile], None] = lambda staged: None,
) -> Iterator[UploadPool]:
    pool = UploadPool(remote, workers=workers, on_uploaded=on_uploaded)
    try:
        yield pool
    except KeyboardInterrupt:
        pool.cancel(wait=False)  # the user wants out: what is under way may end with us
        raise
    except BaseException:
        pool.cancel(wait=True)
        raise
    pool.finish()


def upload_parallel(
    files: Sequence[StagedFile],
    remote: Remote,
    *,
    workers: int,
    on_uploaded: Callable[[StagedFile], None],
) -> list[Failure]:
    """Upload every file; return the failures in the order the files were given."""
    with upload_pool(
        remote, workers=max(1, min(workers, len(files))), on_uploaded=on_uploaded
    ) as pool:
        for staged in files:
            pool.submit(staged)
    position = {f.name: i for i, f in enumerate(files)}
    return sorted(pool.failures, key=lambda failure: position[failure.file.name])


class BackgroundUploads:
    """Uploads files as staging finishes them, while it goes on compressing others.

    Only new keys are offered: nothing the live manifest names can change before the manifest
    is switched, whatever happens to the rest of the deploy.
    """

    def __init__(self, pool: UploadPool, *, is_new: Callable[[str], bool]) -> None:
        self._pool = pool
        self._is_new = is_new

    def offer(self, files: list[StagedFile]) -> None:
        for staged in files:
            if self._is_new(staged.name):
                self._pool.submit(staged)

    def finish(self) -> tuple[list[StagedFile], list[Failure]]:
        """Wait for every upload; return what was uploaded and what failed."""
        self._pool.finish()
        failures = sorted(self._pool.failures, key=lambda failure: failure.file.name)
        return self._pool.uploaded, failures


@contextmanager
def background_uploads(
    remote: Remote, *, workers: int, is_new: Callable[[str], bool]
) -> Iterator[BackgroundUploads]:
    with upload_pool(remote, workers=workers) as pool:
        yield BackgroundUploads(pool, is_new=is_new)
