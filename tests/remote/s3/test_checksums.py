"""What a HeadObject answer shows about an object's bytes."""

from __future__ import annotations

import base64
import hashlib
import zlib
from pathlib import Path
from typing import Any

import pytest

from collectsync.files import StagedFile
from collectsync.remote.s3.checksums import holds

DATA = b"body { color: red; }\n" * 20
OTHER = DATA.replace(b"red", b"tan")
MD5 = hashlib.md5(DATA).hexdigest()
KMS_ETAG = '"' + "7" * 32 + '"'


@pytest.fixture
def staged(tmp_path: Path) -> StagedFile:
    path = tmp_path / "site.css"
    path.write_bytes(DATA)
    return StagedFile("site.css", path, MD5, len(DATA))


def answer(**fields: Any) -> dict[str, Any]:
    return {
        "ContentLength": len(DATA),
        "ETag": KMS_ETAG,
        "ServerSideEncryption": "aws:kms",
        **fields,
    }


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_an_etag_that_is_an_md5_decides(staged: StagedFile) -> None:
    plain = {"ContentLength": len(DATA), "ServerSideEncryption": "AES256"}
    assert holds({**plain, "ETag": f'"{MD5}"'}, staged) is True
    other = hashlib.md5(OTHER).hexdigest()
    # Even against metadata or checksums saying otherwise: the ETag is the bytes'.
    assert (
        holds({**plain, "ETag": f'"{other}"', "Metadata": {"collectsync-md5": MD5}}, staged)
        is False
    )


def test_a_kms_etag_says_nothing_but_the_metadata_and_checksums_do(staged: StagedFile) -> None:
    assert holds(answer(), staged) is None
    assert holds(answer(Metadata={"collectsync-md5": MD5}), staged) is True
    assert holds(answer(Metadata={"collectsync-md5": "0" * 32}), staged) is False
    assert holds(answer(ChecksumCRC32=crc32(DATA)), staged) is True
    assert holds(answer(ChecksumCRC32=crc32(OTHER)), staged) is False
    assert holds(answer(ChecksumSHA256=sha256(DATA), ChecksumType="FULL_OBJECT"), staged) is True


def test_a_multipart_etag_and_a_composite_checksum_say_nothing(staged: StagedFile) -> None:
    multipart = {"ContentLength": len(DATA), "ETag": f'"{MD5[:30]}-2"'}
    assert holds(multipart, staged) is None
    composite = {**multipart, "ChecksumCRC32": crc32(DATA) + "-2", "ChecksumType": "COMPOSITE"}
    assert holds(composite, staged) is None


def test_another_size_is_another_file(staged: StagedFile) -> None:
    assert (
        holds(answer(ContentLength=len(DATA) + 1, Metadata={"collectsync-md5": MD5}), staged)
        is False
    )
