"""Upload: write files to a remote through a bounded pool of worker threads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass

from collectsync.remote import Remote
from collectsync.staging import StagedFile


@dataclass(frozen=True)
class Failure:
    file: StagedFile
    error: BaseException


def upload_parallel(
    files: Sequence[StagedFile],
    remote: Remote,
    *,
    workers: int,
    on_uploaded: Callable[[StagedFile], None],
) -> list[Failure]:
    """Upload every file; return the failures in the order the files were given."""
    if not files:
        return []
    pool = ThreadPoolExecutor(
        max_workers=max(1, min(workers, len(files))),
        thread_name_prefix="collectsync-upload",
    )
    failures: list[Failure] = []
    try:
        futures = {pool.submit(remote.write, f): f for f in files}
        for future in as_completed(futures):
            error = future.exception()
            if error is None:
                on_uploaded(futures[future])
            else:
                failures.append(Failure(futures[future], error))
    except BaseException:
        # Ctrl-C lands here: drop the queued uploads instead of waiting for all of them.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    position = {f.name: i for i, f in enumerate(files)}
    return sorted(failures, key=lambda failure: position[failure.file.name])


class BackgroundUploads:
    """Uploads files as staging finishes them, while it goes on compressing others.

    Only new keys are offered: nothing the live manifest names can change before the manifest
    is switched, whatever happens to the rest of the deploy.
    """

    def __init__(self, remote: Remote, *, workers: int, is_new: Callable[[str], bool]) -> None:
        self._remote = remote
        self._is_new = is_new
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collectsync-early")
        self._futures: dict[Future[None], StagedFile] = {}

    def offer(self, files: list[StagedFile]) -> None:
        for staged in files:
            if self._is_new(staged.name):
                self._futures[self._pool.submit(self._remote.write, staged)] = staged

    def finish(self) -> tuple[list[StagedFile], list[Failure]]:
        """Wait for every upload; return what was uploaded and what failed."""
        uploaded: list[StagedFile] = []
        failures: list[Failure] = []
        for future in as_completed(self._futures):
            error = future.exception()
            if error is None:
                uploaded.append(self._futures[future])
            else:
                failures.append(Failure(self._futures[future], error))
        self._pool.shutdown()
        return uploaded, sorted(failures, key=lambda failure: failure.file.name)

    def cancel(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def background_uploads(
    remote: Remote, *, workers: int, is_new: Callable[[str], bool]
) -> Iterator[BackgroundUploads]:
    uploads = BackgroundUploads(remote, workers=workers, is_new=is_new)
    try:
        yield uploads
    except BaseException:
        uploads.cancel()  # Ctrl-C or a failed staging: drop what is queued, don't wait for it
        raise
    uploads.cancel()
