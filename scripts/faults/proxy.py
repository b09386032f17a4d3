"""An HTTP proxy between a client and an emulator (LocalStack, the GCS emulator, Azurite) that
injects faults, for the tests and the benchmark.

Each request is passed to ``decide(method, key, attempt)``, where ``key`` is the object's
(see request_key) and ``attempt`` counts the requests seen so far with that method and key
(1 for the first). It answers one of:
``"pass"`` (forward to LocalStack), ``"503"`` (answer 503 SlowDown without forwarding),
``"403"`` (answer 403 AccessDenied), ``"501"`` (answer 501 NotImplemented), ``"slow"``
(forward after a short delay), ``"reset"`` (close the connection without answering) or
``"stall"`` (wait, then close).

A ``service`` (see s3_services.py) makes the proxy behave as a real S3 service does where
LocalStack behaves otherwise: it refuses some requests itself and reshapes the answers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

Action = Literal["pass", "slow", "403", "501", "503", "reset", "stall"]
Decide = Callable[[str, str, int], Action]
Headers = list[tuple[str, str]]


class Service(Protocol):
    """How a real S3 service differs from LocalStack."""

    def exclusive(self, method: str, path: str) -> bool:
        """Whether the request must be checked and done with no other request in between."""

    def refusal(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[int, str, bytes] | None:
        """The status, content type and body the service answers instead of doing the
        request, if any."""

    def upstream(self, headers: Headers) -> Headers:
        """The request's headers as LocalStack should see them."""

    def answer(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[Headers, bytes]:
        """LocalStack's answer, as the service would give it."""


GCS_UPLOAD = re.compile(r"^/upload/storage/v1/b/([^/]+)/o$")
NAME_IN_METADATA = re.compile(rb'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')


def uploaded_name(path: str, body: bytes) -> str | None:
    """The object a Cloud Storage upload writes (its URL names only the bucket): from the
    query, or from the metadata that opens a multipart upload's body."""
    parts = urlsplit(path)
    if GCS_UPLOAD.match(parts.path) is None:
        return None
    named = parse_qs(parts.query).get("name") or [
        json.loads(b'"' + found[1] + b'"') for found in NAME_IN_METADATA.finditer(body)
    ]
    return named[0] if named else None


def request_key(path: str, body: bytes) -> str:
    """What a request is for: the path after the bucket (S3, Azure), or a Cloud Storage
    upload's object name."""
    named = uploaded_name(path, body)
    return (
        named if named is not None else unquote(urlsplit(path).path).lstrip("/").partition("/")[2]
    )


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
)
NOT_IMPLEMENTED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>NotImplemented</Code><Message>A header you provided implies "
    b"functionality that is not implemented.</Message></Error>"
)
SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
)


class FaultProxy:
    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        decide: Decide,
        service: Service | None = None,
    ) -> None:
        self.decide = decide
        self.service = service
        self.refused: list[tuple[str, str]] = []
        """Requests the service refused, as (method, key)."""
        self.attempts: Counter[tuple[str, str]] = Counter()
        self.faults: list[tuple[str, str, Action]] = []
        self.stall_seconds = 5.0
        self.slow_seconds = 0.2
        self.in_flight = 0
        """Requests being handled right now, the one asking ``decide`` included."""
        self._lock = threading.Lock()
        self._service_lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

            def handle_any(self) -> None:
                with proxy._lock:
                    proxy.in_flight += 1
                try:
                    self.handle_counted()
                finally:
                    with proxy._lock:
                        proxy.in_flight -= 1

            def handle_counted(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                key = request_key(self.path, body)
                with proxy._lock:
                    proxy.attempts[(self.command, key)] += 1
                    attempt = proxy.attempts[(self.command, key)]
                action = proxy.decide(self.command, key, attempt)
                if action == "pass" and proxy.service is not None:
                    self.as_the_service(proxy.service, key, body)
                    return
                if action != "pass":
                    proxy.faults.append((self.command, key, action))
                if action == "403":
                    self.answer(403, [("Content-Type", "application/xml")], ACCESS_DENIED)
                elif action == "501":
                    self.answer(501, [("Content-Type", "application/xml")], NOT_IMPLEMENTED)
                elif action == "503":
                    self.answer(503, [("Content-Type", "application/xml")], SLOW_DOWN)
                elif action in ("reset", "stall"):
                    if action == "stall":
                        time.sleep(proxy.stall_seconds)
                    self.close_connection = True
                    self.connection.close()
                else:
                    if action == "slow":
                        time.sleep(proxy.slow_seconds)
                    self.forward(body)

            def as_the_service(self, service: Service, key: str, body: bytes) -> None:
                """Refuse what the service would, else forward; a request that must see and
                change the store in one step has the service to itself meanwhile."""
                alone = service.exclusive(self.command, self.path)
                with proxy._service_lock if alone else contextlib.nullcontext():
                    refusal = service.refusal(self.command, self.path, self.headers.items(), body)
                    if refusal is None:
                        self.forward(body)
                        return
                with proxy._lock:
                    proxy.refused.append((self.command, key))
                status, content_type, data = refusal
                self.answer(status, [("Content-Type", content_type)], data)

            def forward(self, body: bytes) -> None:
                upstream = http.client.HTTPConnection(upstream_host, upstream_port, timeout=30)
                sent = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
                if proxy.service is not None:
                    sent = proxy.service.upstream(sent)
                headers = {**dict(sent), "Content-Length": str(len(body))}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                upstream.close()
                passed = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
                if proxy.service is not None:
                    passed, data = proxy.service.answer(self.command, self.path, passed, data)
                if self.command != "HEAD":
                    self.answer(response.status, passed, data)
                    return
                # The object's size, as the answer to a HEAD gives it, with no body.
                length = response.getheader("Content-Length") or "0"
                self.answer(response.status, passed, b"", length=length)

            def answer(
                self, status: int, headers: Headers, data: bytes, length: str | None = None
            ) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[FaultProxy]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)
