"""A local storage that stops in the middle of post-processing until a signal ends it, so that
a test can interrupt staging at a moment it chose rather than one it guessed."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

from collectsync.interrupts import checkpoint

PAUSE_AFTER = 10
"""Files post-processed before the pause: some of them are final and may be uploading."""


class PausedStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for count, processed in enumerate(super().post_process(*args, **kwargs), 1):
            yield processed
            if count == PAUSE_AFTER:
                pause(Path(os.environ["COLLECTSYNC_TEST_PAUSE"]))


def pause(marker: Path) -> None:
    """Say so through ``marker``, then wait for the signal that should end the process.

    The signal's KeyboardInterrupt usually ends the wait. It can also be raised inside a
    finalizer and lost; the deploy noted it all the same, and the checkpoint here stops it.
    """
    marker.touch()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        checkpoint()
        time.sleep(0.05)
    raise RuntimeError("The paused staging was never interrupted.")
