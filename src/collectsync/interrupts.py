"""Ctrl-C and SIGTERM (a cancelled CI job) stop a deploy, and can't be lost on the way.

Python raises a signal's KeyboardInterrupt wherever the main thread happens to be. When that is
inside a finalizer the garbage collector runs, the exception is printed and dropped, and the
deploy would go on. So the signal is noted as well, and the deploy stops at the next checkpoint
all the same, before it switches anything.

This module imports nothing else of the package, so every layer can import it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_received = threading.Event()


@contextmanager
def interrupts_noted() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, and note either, so that every cleanup path runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        _received.set()
        raise KeyboardInterrupt

    handled = [signal.SIGTERM]
    # Left alone where Ctrl-C was turned off (a job started in the background with '&').
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        handled.append(signal.SIGINT)
    previous = {signum: signal.signal(signum, interrupt) for signum in handled}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _received.clear()


def checkpoint() -> None:
    """Stop here if an interrupt came, even one whose exception was lost."""
    if _received.is_set():
        raise KeyboardInterrupt
