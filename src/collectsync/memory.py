"""Keep glibc's allocator from holding on to what the worker threads have freed."""

from __future__ import annotations

import ctypes
import os

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENA_MAX = 2
MMAP_THRESHOLD = 128 * 1024
USER_SETTINGS = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")


def limit_allocator() -> bool:
    """Cap glibc's malloc arenas and keep large blocks mmapped; whether it was done.

    glibc gives each thread that contends for the heap an arena of its own (up to 8 per
    core), and an arena keeps what it once held. Sixteen upload threads next to Whitenoise's
    compression threads, whose brotli buffers run to megabytes, leave most of a cold deploy's
    peak RSS in such arenas (see the README's Performance section). A user's own MALLOC_*
    settings win, and other C libraries are left alone.
    """
    if any(name in os.environ for name in USER_SETTINGS):
        return False
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return False
    except (ValueError, OSError, AttributeError):
        return False  # no confstr, or no such name here: not glibc
    libc = ctypes.CDLL(None)
    arenas_capped: bool = libc.mallopt(M_ARENA_MAX, ARENA_MAX) == 1
    threshold_fixed: bool = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    return arenas_capped and threshold_fixed
