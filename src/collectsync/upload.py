"""Upload: write files to a remote through a bounded pool of worker threads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
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
