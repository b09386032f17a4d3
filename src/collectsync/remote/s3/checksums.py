"""Whether an S3 object holds a staged file's bytes, from what a HeadObject answer shows: an
ETag that is an MD5, the md5 collectsync stored with the object, or one of S3's own checksums.

A listing's ETag is the MD5 only of a single-part upload without SSE-KMS or SSE-C. A 32-hex
ETag that differs from the staged file's md5 may therefore still be the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from collectsync.files import StagedFile

MD5_METADATA = "collectsync-md5"
"""The object metadata (x-amz-meta-collectsync-md5) that carries the md5 of its bytes."""
KEY_ENCRYPTION = {"aws:kms", "aws:kms:dsse"}
READ_SIZE = 1 << 18


def etag_is_md5(etag: str, head: Mapping[str, Any]) -> bool:
    return (
        len(etag) == 32
        and "-" not in etag
        and head.get("ServerSideEncryption") not in KEY_ENCRYPTION
        and not head.get("SSECustomerAlgorithm")
    )


def holds(head: Mapping[str, Any], staged: StagedFile) -> bool | None:
    """Whether the object described by ``head`` holds ``staged``'s bytes; None when nothing
    in the answer can tell."""
    if head.get("ContentLength") != staged.size:
        return False
    etag = str(head.get("ETag", "")).strip('"')
    if etag_is_md5(etag, head):
        return etag == staged.md5
    md5 = head.get("Metadata", {}).get(MD5_METADATA)
    if md5:
        return bool(md5 == staged.md5)
    if head.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
        return None  # a multipart upload's checksum of its parts' checksums
    for algorithm, digest in DIGESTS.items():
        value = head.get(f"Checksum{algorithm}")
        if value:
            return bool(value == digest(staged.path))
    return None


def _digest(update: Callable[[bytes, Any], Any], start: Any, path: Path) -> Any:
    state = start
    with path.open("rb") as handle:
        while chunk := handle.read(READ_SIZE):
            state = update(chunk, state)
    return state


def _crc(update: Callable[[bytes, int], int], width: int) -> Callable[[Path], str]:
    def checksum(path: Path) -> str:
        return base64.b64encode(_digest(update, 0, path).to_bytes(width, "big")).decode()

    return checksum


def _hashed(name: str) -> Callable[[Path], str]:
    def checksum(path: Path) -> str:
        with path.open("rb") as handle:
            return base64.b64encode(hashlib.file_digest(handle, name).digest()).decode()

    return checksum


DIGESTS: dict[str, Callable[[Path], str]] = {
    "CRC32": _crc(zlib.crc32, 4),
    "SHA1": _hashed("sha1"),
    "SHA256": _hashed("sha256"),
}
"""The checksums S3 keeps that can be computed here; botocore's optional CRT adds the two it
needs for CRC32C and CRC64NVME (S3's default for uploads that send none)."""
try:
    from awscrt import checksums as crt
except ImportError:  # pragma: no cover - the CRT is an optional extra of botocore
    pass
else:  # pragma: no cover
    DIGESTS["CRC32C"] = _crc(crt.crc32c, 4)
    DIGESTS["CRC64NVME"] = _crc(crt.crc64nvme, 8)
