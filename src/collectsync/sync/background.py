"""Background uploads: new files go up while staging still compresses others."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from collectsync.files import StagedFile
from collectsync.remote.base import Remote
from collectsync.sync.upload import Failure, UploadPool, upload_pool


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
