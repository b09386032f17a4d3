"""Run one ``manage.py`` command with every S3 request it makes counted.

The benchmark wants to know what each tool asks of S3, not only how long it takes. The one layer
all three tools share is botocore's HTTP session, and every client, thread and retry ends up in
its ``send``; so the count is taken there, inside the measured process, and written to the JSON
file named by ``BENCH_COUNTS_FILE`` however the process exits. The same hook refuses any request
that is not for 127.0.0.1, so a misconfigured tool can't reach real AWS. The file also says
where the process's CPU went (see CpuParts below).

Usage: python scripts/benchmark/lib/child.py path/to/manage.py collectstatic --noinput
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.machinery
import json
import os
import runpy
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
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
        # botocore's and the CRT's headers both have get(), case-blind; not both `in`.
        if operation == "PUT" and headers is not None and headers.get("x-amz-copy-source"):
            operation = "COPY"  # a CopyObject: a PUT naming its source, no body sent
        size = body_size(headers, body) if operation == "PUT" else 0
        with self.lock:
            self.requests[operation] += 1
            self.bytes_put += size

    def dump(self, path: Path, cpu: CpuParts) -> None:
        with self.lock:
            data = {"requests": dict(self.requests), "bytes_put": self.bytes_put}
        path.write_text(json.dumps({**data, "cpu_parts": cpu.dump()}))


# Where the process spends its CPU: the seconds its threads spend compressing, hashing and
# making requests, taken by wrapping the functions that do each (time.thread_time: CPU, not
# waiting, whichever thread, GIL held or not). Each module is patched as soon as it is
# imported, so that names imported from it afterwards are the wrapped ones. A call inside
# another measured call counts for the outer one only. What no wrapper sees (start-up,
# collecting, Django's post-processing, planning) is the rest: the process's CPU minus these.

PARTS = ("compressing", "hashing", "requests")

# module: [(attribute path, part, a static method?)]
TARGETS: dict[str, list[tuple[str, str, bool]]] = {
    "whitenoise.compress": [
        ("Compressor.compress_gzip", "compressing", True),
        ("Compressor.compress_brotli", "compressing", True),
    ],
    "django.contrib.staticfiles.storage": [("HashedFilesMixin.file_hash", "hashing", False)],
    "collectsync.stage.sources": [("file_md5", "hashing", False)],
    "botocore.client": [("BaseClient._make_api_call", "requests", False)],
    # collectsync's uploads and copies through the AWS CRT (the crt extra): the calling
    # thread's share; the CRT's own threads are added at the end (crt_threads_cpu).
    "collectsync.remote.s3.crt": [
        ("CrtClient.put", "requests", False),
        ("CrtClient.copy", "requests", False),
    ],
}


def crt_threads_cpu() -> float:
    """CPU seconds of the AWS CRT's native threads (its event loops, named Aws...), which
    sign and send its requests and which no Python wrapper sees."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            if not (task / "comm").read_text().startswith("Aws"):
                continue
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


class CpuParts:
    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._inside = threading.local()

    def timed(self, function: Callable[..., Any], part: str) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            if getattr(self._inside, "part", None) is not None:
                return function(*args, **kwargs)
            self._inside.part = part
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                self._inside.part = None
                with self._lock:
                    self.seconds[part] += spent

        return measured

    def patch(self, module: ModuleType) -> None:
        for path, part, static in TARGETS[module.__name__]:
            *owners, name = path.split(".")
            owner: Any = module
            for attribute in owners:
                owner = getattr(owner, attribute)
            wrapped = self.timed(getattr(owner, name), part)
            setattr(owner, name, staticmethod(wrapped) if static else wrapped)

    def install(self) -> None:
        """Patch each target module now if it is loaded, else when it is imported."""
        for name in TARGETS:
            if name in sys.modules:
                self.patch(sys.modules[name])
        sys.meta_path.insert(0, _PatchingFinder(self, set(TARGETS) - set(sys.modules)))

    def dump(self) -> dict[str, float]:
        with self._lock:
            seconds = {**self.seconds, "requests": self.seconds["requests"] + crt_threads_cpu()}
        return {part: round(seconds.get(part, 0.0), 3) for part in PARTS}


class _PatchingFinder(importlib.abc.MetaPathFinder):
    def __init__(self, parts: CpuParts, names: set[str]) -> None:
        self.parts = parts
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        self.names.discard(fullname)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        loader, parts = spec.loader, self.parts

        class Patching(importlib.abc.Loader):
            def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
                return loader.create_module(spec)

            def exec_module(self, module: ModuleType) -> None:
                loader.exec_module(module)
                parts.patch(module)

        spec.loader = Patching()
        return spec


def install(tally: Tally) -> None:
    from botocore.httpsession import URLLib3Session

    original = URLLib3Session.send

    def send(self: URLLib3Session, request: Any) -> Any:
        tally.record(request.method, request.url, request.headers, request.body)
        return original(self, request)

    setattr(URLLib3Session, "send", send)  # noqa: B010 (mypy refuses assigning to a method)

    # The AWS CRT's S3 client (collectsync's crt extra) sends without botocore.
    try:
        from awscrt.s3 import S3Client
    except ImportError:
        pass
    else:
        make_request = S3Client.make_request

        def make_counted(self: S3Client, *, request: Any, **kwargs: Any) -> Any:
            url = f"http://{request.headers.get('Host')}{request.path}"
            tally.record(request.method, url, request.headers, None)
            return make_request(self, request=request, **kwargs)

        setattr(S3Client, "make_request", make_counted)  # noqa: B010

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
    cpu = CpuParts()
    cpu.install()
    counts_file = os.environ.get("BENCH_COUNTS_FILE")
    if counts_file:
        atexit.register(tally.dump, Path(counts_file), cpu)
    manage = Path(argv[0]).resolve()
    # As if `python manage.py ...` had been run: its folder first on the path, not ours.
    sys.path[0] = str(manage.parent)
    sys.argv = [str(manage), *argv[1:]]
    runpy.run_path(str(manage), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
