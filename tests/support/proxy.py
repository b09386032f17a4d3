"""A project's S3 storage pointed at the fault proxy in front of LocalStack for a while."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scripts.faults.proxy import Decide, FaultProxy, Service
from tests.settings import S3_ENDPOINT

if TYPE_CHECKING:
    from tests.support.project import Project

ROUNDS_BEFORE_LOST = 8
"""More rounds than one file can fit into COLLECTSYNC_LOST_AFTER = 1 while nothing gets
through, whatever the machine: its pauses are at least 0.25, 0.5 and 1 s (a success from
before the cut may keep one pause at 0.25 s), and no round starts once the connection counts
as lost. A deploy that retried until the deadline would make far more."""


@contextmanager
def through_proxy(
    project: Project, decide: Decide, service: Service | None = None
) -> Iterator[FaultProxy]:
    upstream = urlsplit(S3_ENDPOINT)
    assert upstream.hostname is not None
    assert upstream.port is not None
    proxy = FaultProxy(upstream.hostname, upstream.port, decide, service)
    with proxy.running():
        project.storage_options(endpoint_url=proxy.endpoint)
        yield proxy
    project.storage_options()


def settle(proxy: FaultProxy) -> None:
    """Wait until the stopped run's requests have all ended: a Ctrl-C leaves the uploads
    and copies under way to finish in their threads, as they would in the process."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        busy = [t for t in threading.enumerate() if t.name.startswith("collectsync-")]
        if not busy and proxy.in_flight == 0:
            return
        time.sleep(0.02)
    raise AssertionError("the stopped run's requests never ended")
