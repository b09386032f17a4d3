"""Run one ``manage.py`` command with every S3 request it makes counted.

The benchmark wants to know what each tool asks of S3, not only how long it takes. The one layer
all three tools share is botocore's HTTP session, and every client, thread and retry ends up in
its ``send``; so the count is taken there, inside the measured process, and written to the JSON
file named by ``BENCH_COUNTS_FILE`` however the process exits. The same hook refuses any request
that is not for 127.0.0.1, so a misconfigured tool can't reach real AWS.

Usage: python scripts/benchmark/lib/child.py path/to/manage.py collectstatic --noinput
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
OPERATIONS = ("HEAD", "GET", "LIST", "PUT", "COPY", "POST", "DELETE")


def classify(method: str, url: str, bucket: str) -> str:
    """HEAD/GET/PUT/POST/DELETE, except that a GET of the bucket itself is a LIST (and a PUT
    naming a source, a COPY: see Tally.record)."""
    method = method.upper()
    if method != "GET":
        return method if method in OPERATIONS else "OTHER"
    parts = urlsplit(url)
    path = parts.path.lstrip("/")
    host = parts.hostname or ""
    virtual_hosted = bool(bucket) and host.startswith(f"{bucket}.")  # the path is the key
    key = path if virtual_hosted else path.partition("/")[2]  # path style: /bucket/key
    if not key or "list-type" in parse_qs(parts.query):
        return "LIST"
    return "GET"


def body_size(headers: Any, body: Any) -> int:
    length = headers.get("Content-Length") if headers is not None else None
    if length is not None:
        return int(length)
    if isinstance(body, bytes | bytearray):
        return len(body)
    return 0


class Tally:
    """Requests by operation and bytes sent in PUT bodies; safe to use from many threads."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.bytes_put = 0

    def record(self, method: str, url: str, headers: Any, body: Any) -> None:
        host = urlsplit(url).hostname
        if host not in LOCAL_HOSTS:
            raise RuntimeError(f"bench: refusing a request to {host!r}; only 127.0.0.1 is allowed")
        operation = classify(method, url, self.bucket)
        if operation == "PUT" and headers is not None and "x-amz-copy-source" in headers:
            operation = "COPY"  # a CopyObject: a PUT naming its source, no body sent
        size = body_size(headers, body) if operation == "PUT" else 0
        with self.lock:
            self.requests[operation] += 1
            self.bytes_put += size

    def dump(self, path: Path) -> None:
        with self.lock:
            data = {"requests": dict(self.requests), "bytes_put": self.bytes_put}
        path.write_text(json.dumps(data))


def install(tally: Tally) -> None:
    from botocore.httpsession import URLLib3Session

    original = URLLib3Session.send

    def send(self: URLLib3Session, request: Any) -> Any:
        tally.record(request.method, request.url, request.headers, request.body)
        return original(self, request)

    setattr(URLLib3Session, "send", send)  # noqa: B010 (mypy refuses assigning to a method)

    # Google Cloud Storage's and Azure's client libraries both send through requests.
    try:
        from requests import Session
    except ImportError:
        return
    sent = Session.send

    def send_counted(self: Session, request: Any, **kwargs: Any) -> Any:
        tally.record(request.method, request.url, request.headers, request.body)
        return sent(self, request, **kwargs)

    setattr(Session, "send", send_counted)  # noqa: B010


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    tally = Tally(os.environ.get("DEMO_BUCKET", ""))
    install(tally)
    counts_file = os.environ.get("BENCH_COUNTS_FILE")
    if counts_file:
        atexit.register(tally.dump, Path(counts_file))
    manage = Path(argv[0]).resolve()
    # As if `python manage.py ...` had been run: its folder first on the path, not ours.
    sys.path[0] = str(manage.parent)
    sys.argv = [str(manage), *argv[1:]]
    runpy.run_path(str(manage), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
