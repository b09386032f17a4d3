"""Google Cloud Storage where the emulator behaves otherwise, played by the fault proxy in front of
it, as Cloud Storage's documentation describes it: uploads with `ifGenerationMatch` (0: only
if there is no such object) are refused with 412 when the object's generation is another, and
media downloads say the object's generation in `X-Goog-Generation`."""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import parse_qs, quote, unquote, urlsplit

from scripts.faults.proxy import GCS_UPLOAD, Headers, uploaded_name

OBJECT = re.compile(r"^/(?:download/)?storage/v1/b/([^/]+)/o/(.+)$")
PRECONDITION_FAILED = json.dumps(
    {
        "error": {
            "code": 412,
            "message": "At least one of the pre-conditions you specified did not hold.",
        }
    }
).encode()


class GenerationPreconditions:
    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port

    def exclusive(self, method: str, path: str) -> bool:
        return method == "POST" and "ifGenerationMatch" in parse_qs(urlsplit(path).query)

    def refusal(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[int, str, bytes] | None:
        if not self.exclusive(method, path):
            return None
        parts = urlsplit(path)
        upload = GCS_UPLOAD.match(parts.path)
        named = uploaded_name(path, body)
        if upload is None or named is None:
            return None
        wanted = int(parse_qs(parts.query)["ifGenerationMatch"][0])
        if self.generation(upload[1], named) == wanted:
            return None
        return 412, "application/json", PRECONDITION_FAILED

    def generation(self, bucket: str, name: str) -> int:
        """The object's generation in the emulator; 0 when there is no such object."""
        connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            connection.request("GET", f"/storage/v1/b/{bucket}/o/{quote(name, safe='')}")
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return int(json.loads(data)["generation"]) if response.status == 200 else 0

    def upstream(self, headers: Headers) -> Headers:
        return headers

    def answer(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[Headers, bytes]:
        parts = urlsplit(path)
        found = OBJECT.match(parts.path)
        media = parse_qs(parts.query).get("alt") == ["media"]
        named = {name.lower() for name, _ in headers}
        if method != "GET" or not media or found is None or "x-goog-generation" in named:
            return headers, body
        generation = self.generation(found[1], unquote(found[2]))
        return [*headers, ("X-Goog-Generation", str(generation))], body
