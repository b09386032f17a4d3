"""Upload: write files to a remote through a bounded pool of worker threads, as many at once
as the remote's weather allows, retrying what failed on something that passes."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
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


@dataclass
class Job:
    """One file to upload, and how its rounds have gone."""

    staged: StagedFile
    quiet_rounds: int = 0
    """Rounds in a row that failed with nothing else getting through in between either."""
    first_failed: float | None = None
    failed_at: float | None = None
    error: TransientError | None = None


class UploadPool:
    """Worker threads writing files to a remote; ``submit`` waits while the queue is full.

    A file that failed on something that passes waits out its pause in a list, not in a
    worker: the worker goes on with the next file, so a storm of refusals costs the requests
    refused and not the upload slots idle behind their pauses.

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
        self._slots = threading.Semaphore(workers * QUEUED_PER_WORKER)
        lock = threading.RLock()
        self._lock = threading.Condition(lock)
        """Signalled when an upload ends."""
        self._ready = threading.Condition(lock)
        """Signalled when there is something for a worker to do."""
        self._waiting: deque[Job] = deque()
        self._later: list[tuple[float, int, Job]] = []
        """Files to try again, by when: a heap."""
        self._count = itertools.count()
        self._closing = False
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
            self._waiting.append(Job(staged))
            self._ready.notify()

    def _next(self) -> Job | None:
        """The next file to try: one whose pause is over, else a new one; None once closed
        and every upload has ended (a file under way may still need another round)."""
        weather = self._remote.weather
        with self._lock:
            while True:
                due = self._later[0][0] if self._later else None
                if due is not None and (self._stopping.is_set() or due <= weather.now()):
                    return heapq.heappop(self._later)[2]
                if self._waiting:
                    return self._waiting.popleft()
                if self._closing and not self.unfinished:
                    return None
                self._ready.wait(None if due is None else max(0.0, due - weather.now()))

    def _work(self) -> None:
        while (job := self._next()) is not None:
            self._upload(job)

    def _upload(self, job: Job) -> None:
        weather = self._remote.weather
        with self._lock:
            self._uploading[threading.get_ident()] = job.staged
        error: BaseException | None = None
        due: float | None = None
        uploaded = False
        try:
            with weather.slot():
                # Once the slot is ours: it may come free after the deploy has stopped.
                lost = weather.lost()
                if lost is not None:
                    raise lost  # don't try what can't succeed: the deploy stops
                if self._stopping.is_set():
                    error = job.error  # not tried again: only a failure so far counts
                else:
                    self._remote.write_once(job.staged)
                    uploaded = True
        except TransientError as failed:
            # While other uploads get through, a refusal is this file's bad luck: it goes
            # again soon (the uploads at once are what eases the load). Its pause doubles only
            # with rounds in which nothing got through at all.
            quiet = job.failed_at is not None and not weather.succeeded_since(job.failed_at)
            job.quiet_rounds = job.quiet_rounds + 1 if quiet else 1
            job.failed_at = weather.now()
            job.first_failed = job.first_failed or job.failed_at
            job.error = error = failed
            pause = weather.later(job.quiet_rounds, job.first_failed)
            if pause is not None:
                weather.backed_off(pause)
                due = weather.now() + pause
        except Exception as failed:
            error = failed
        with self._lock:
            if self._uploading.pop(threading.get_ident(), None) is None:
                self._ended(job, None)  # given up on already: the connection was lost
            elif due is not None:
                heapq.heappush(self._later, (due, next(self._count), job))
                self._ready.notify()
            else:
                self._ended(job, error, uploaded=uploaded)

    def _ended(self, job: Job, error: BaseException | None, *, uploaded: bool = False) -> None:
        with self._lock:
            if uploaded:
                self.uploaded.append(job.staged)
                self._on_uploaded(job.staged)
            elif error is not None:
                self.failures.append(Failure(job.staged, error))
                if sum(failure.refused for failure in self.failures) >= REFUSALS_BEFORE_STOP:
                    self._stopping.set()  # the files still queued are not tried
            self.unfinished -= 1
            self._lock.notify_all()
            self._ready.notify_all()  # the last one lets the workers end
        self._slots.release()

    def finish(self) -> None:
        """Wait for every submitted upload (see _wait)."""
        self._close()
        self._wait()

    def _close(self) -> None:
        with self._lock:
            self._closing = True
            self._ready.notify_all()

    def cancel(self, *, wait: bool) -> None:
        """Drop what is queued; with ``wait``, wait for the uploads under way (see _wait), so
        that none goes on writing once the deploy has failed."""
        self._stopping.set()
        self._close()
        if wait:
            self._wait()

    def _wait(self) -> None:
        """Wait until no upload is unfinished, or the connection counts as lost: then the
        uploads under way fail with it, whatever their own timeouts would still wait."""
        with self._lock:
            while self.unfinished:
                self._lock.wait(timeout=LOST_CHECK)
                lost = self._remote.weather.lost()
                if lost is not None and (self._uploading or self._later):
                    self.failures += [Failure(f, lost) for f in self._uploading.values()]
                    waiting, self._later = self._later, []
                    for _, _, job in waiting:  # waiting for a round that won't come
                        self._ended(job, lost)
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
