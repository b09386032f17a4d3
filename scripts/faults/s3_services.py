"""Real S3 services where LocalStack behaves otherwise, played by the fault proxy in front of
it, as each service's documentation describes them."""

from __future__ import annotations

import hashlib
import re
import threading
from urllib.parse import unquote, urlsplit

from scripts.faults.proxy import Headers

XML = "application/xml"
ETAG_IN_LISTING = re.compile(
    rb"<ETag>(&quot;|&#34;|\")?([0-9a-f]{32}(?:-\d+)?)(&quot;|&#34;|\")?</ETag>"
)


def error(code: str, message: str, *, region: str | None = None) -> bytes:
    named = f"<Region>{region}</Region>" if region else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{named}</Error>"
    ).encode()


class Plain:
    """LocalStack as it is."""

    def exclusive(self, method: str, path: str) -> bool:
        return False

    def refusal(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[int, str, bytes] | None:
        return None

    def upstream(self, headers: Headers) -> Headers:
        return headers

    def answer(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[Headers, bytes]:
        return headers, body


class KmsEncrypted(Plain):
    """A bucket whose default encryption is SSE-KMS: every ETag is 32 hex digits that are not
    the MD5 of the object, in PUT, HEAD and GET answers and in listings, and answers name the
    encryption. Conditional writes name the ETags the client was given."""

    def __init__(self, without_checksums: set[str] | None = None) -> None:
        self._real: dict[str, str] = {}
        self._lock = threading.Lock()
        self.without_checksums = without_checksums or set()
        """Keys of objects from before S3 kept checksums: answers about them carry none."""

    def etag(self, real: str) -> str:
        fake = hashlib.sha256(f"kms:{real}".encode()).hexdigest()[:32]
        with self._lock:
            self._real[fake] = real
        return fake

    def upstream(self, headers: Headers) -> Headers:
        with self._lock:
            return [
                (name, self._real_condition(value) if name.lower() == "if-match" else value)
                for name, value in headers
            ]

    def _real_condition(self, value: str) -> str:
        return f'"{self._real.get(value.strip(chr(34)), value.strip(chr(34)))}"'

    def answer(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[Headers, bytes]:
        key = unquote(urlsplit(path).path).lstrip("/").partition("/")[2]
        reshaped = [
            (name, f'"{self.etag(value.strip(chr(34)))}"' if name.lower() == "etag" else value)
            for name, value in headers
            if name.lower() != "x-amz-server-side-encryption"
            and not (key in self.without_checksums and name.lower().startswith("x-amz-checksum"))
        ]
        if any(name.lower() == "etag" for name, _ in headers):
            reshaped.append(("x-amz-server-side-encryption", "aws:kms"))
        if b"<ListBucketResult" in body:
            body = ETAG_IN_LISTING.sub(
                lambda m: b"<ETag>&quot;" + self.etag(m[2].decode()).encode() + b"&quot;</ETag>",
                body,
            )
        return reshaped, body


class Backblaze(Plain):
    """Backblaze B2's S3-compatible API: it refuses the integrity headers boto3 sends since
    1.36 (a request checksum, its algorithm, asking for checksums back)."""

    def refusal(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[int, str, bytes] | None:
        for name, _ in headers:
            lowered = name.lower()
            if lowered.startswith("x-amz-checksum-") or lowered == "x-amz-sdk-checksum-algorithm":
                message = f"Unsupported header '{lowered}' received for this API call."
                return 400, XML, error("InvalidArgument", message)
        return None


class Cloudflare(Plain):
    """Cloudflare R2: no ACLs, and no aws-chunked bodies with trailing checksums."""

    def refusal(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[int, str, bytes] | None:
        values = {name.lower(): value for name, value in headers}
        if "x-amz-acl" in values:
            message = f"Header 'x-amz-acl' with value '{values['x-amz-acl']}' not implemented"
            return 501, XML, error("NotImplemented", message)
        chunked = "aws-chunked" in values.get("content-encoding", "")
        if chunked or values.get("x-amz-content-sha256", "").startswith("STREAMING-"):
            message = (
                "The request signature we calculated does not match the signature you provided."
            )
            return 403, XML, error("SignatureDoesNotMatch", message)
        return None


SIGNED_FOR = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")


class InAnotherRegion(Plain):
    """A bucket in another region than the one requests are signed for: S3 refuses a request
    signed for any other region with 400 AuthorizationHeaderMalformed, naming the bucket's
    region in the answer's body (S3 names it in a header too)."""

    def __init__(self, region: str) -> None:
        self.region = region

    def refusal(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[int, str, bytes] | None:
        values = {name.lower(): value for name, value in headers}
        signed = SIGNED_FOR.search(values.get("authorization", ""))
        if signed is None or signed[1] == self.region:
            return None
        message = (
            f"The authorization header is malformed; the region '{signed[1]}' is wrong; "
            f"expecting '{self.region}'"
        )
        return 400, XML, error("AuthorizationHeaderMalformed", message, region=self.region)


class CopyFailingIn200(Plain):
    """S3 answers a CopyObject 200 before the copy is done, so a copy that then fails is
    answered 200 with the error in the body (CopyObject's documentation: "a 200 OK response
    can contain either a success or an error"). Each key's first copy fails so here."""

    def __init__(self) -> None:
        self._failed: set[str] = set()
        self._lock = threading.Lock()

    def refusal(
        self, method: str, path: str, headers: Headers, body: bytes
    ) -> tuple[int, str, bytes] | None:
        copying = any(name.lower() == "x-amz-copy-source" for name, _ in headers)
        key = unquote(urlsplit(path).path)
        with self._lock:
            if method != "PUT" or not copying or key in self._failed:
                return None
            self._failed.add(key)
        message = "We encountered an internal error. Please try again."
        return 200, XML, error("InternalError", message)
