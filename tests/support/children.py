"""collectstatic in a process of its own, as a deploy pipeline runs it, and waiting on it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.project import (
    Project,
)


def run_child(project: Project, temp: Path, *options: str, **env: str) -> subprocess.Popen[str]:
    """collectstatic in its own process, as a deploy pipeline runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", *options],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "COLLECTSYNC_TEST_BUCKET": project.bucket,
            "COLLECTSYNC_TEST_SOURCE": str(project.source),
            "TMPDIR": str(temp),
            **env,
        },
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not condition() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert condition(), "the child never got there"
