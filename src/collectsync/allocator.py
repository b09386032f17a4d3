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

    glibc raises its mmap threshold each time a large block is freed, so brotli's buffers and
    botocore's reads end up in the arenas of many threads, which keep what they once held: most
    of a cold deploy's peak RSS. The fixed threshold returns them, at the cost of page faults
    (both measured in the README's Performance section). A user's own MALLOC_* settings win,
    and other C libraries are left alone.
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
