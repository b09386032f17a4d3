from __future__ import annotations

import os
import subprocess
import sys

import pytest

from collectsync.allocator import USER_SETTINGS, limit_allocator

ON_GLIBC = (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")

# glibc raises its mmap threshold to the size of any mmapped block freed, so a second 1 MB
# block comes from an arena and stays there; mallinfo2().hblks counts blocks mmapped now.
SECOND_MEGABYTE_IS_MMAPPED = """
import ctypes, sys
from collectsync.allocator import limit_allocator

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "limit":
    assert limit_allocator()
libc.free(libc.malloc(1 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(1 << 20)
print(libc.mallinfo2().hblks - before)
libc.free(block)
"""


def mmapped_blocks_after(mode: str) -> int:
    env = {key: value for key, value in os.environ.items() if key not in USER_SETTINGS}
    result = subprocess.run(
        [sys.executable, "-c", SECOND_MEGABYTE_IS_MMAPPED, mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout)


@pytest.mark.skipif(not ON_GLIBC, reason="the allocator is only tuned on glibc")
def test_large_blocks_go_back_to_the_system_once_limited() -> None:
    assert mmapped_blocks_after("default") == 0
    assert mmapped_blocks_after("limit") == 1


@pytest.mark.parametrize("name", USER_SETTINGS)
def test_a_users_own_malloc_settings_win(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, "4")

    assert limit_allocator() is False


@pytest.mark.parametrize("answer", [None, "musl", ValueError("unknown name")])
def test_other_c_libraries_are_left_alone(
    answer: str | Exception | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def confstr(name: str) -> str | None:
        if isinstance(answer, Exception):
            raise answer
        return answer

    for name in USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "confstr", confstr)

    assert limit_allocator() is False
