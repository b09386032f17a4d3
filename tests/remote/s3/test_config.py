"""How collectsync's S3 clients are configured, by endpoint."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config

from collectsync.remote.s3.config import content_md5_instead, for_endpoint, is_aws

BOTH = {"request_checksum_calculation", "response_checksum_validation"}


def chosen(config: Config) -> dict[str, object]:
    return {option: getattr(config, option, None) for option in BOTH}


@pytest.mark.parametrize(
    ("endpoint", "aws"),
    [
        (None, True),
        ("https://s3.eu-west-1.amazonaws.com", True),
        ("https://s3.cn-north-1.amazonaws.com.cn", True),
        ("https://s3.us-west-004.backblazeb2.com", False),
        ("https://account.r2.cloudflarestorage.com", False),
        ("http://127.0.0.1:9000", False),
        ("https://amazonaws.com.example.org", False),
    ],
)
def test_aws_is_told_from_the_endpoint(endpoint: str | None, aws: bool) -> None:
    assert is_aws(endpoint) is aws


def test_checksums_only_when_required_except_on_aws_or_where_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION"):
        monkeypatch.delenv(variable, raising=False)
    other = "https://s3.us-west-004.backblazeb2.com"
    assert chosen(for_endpoint(Config(), None)) == dict.fromkeys(BOTH)
    assert chosen(for_endpoint(Config(), other)) == dict.fromkeys(BOTH, "when_required")
    own = Config(request_checksum_calculation="when_supported")
    assert chosen(for_endpoint(own, other)) == {
        "request_checksum_calculation": "when_supported",
        "response_checksum_validation": "when_required",
    }
    monkeypatch.setenv("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_supported")
    assert chosen(for_endpoint(Config(), other)) == {
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": None,  # botocore reads the environment
    }


def test_delete_objects_gets_a_content_md5_in_place_of_a_crc32() -> None:
    body = b"<Delete><Object><Key>static/a.css</Key></Object></Delete>"
    request = AWSRequest(
        "POST",
        "http://127.0.0.1/bucket?delete",
        data=body,
        headers={"x-amz-checksum-crc32": "AAAAAA==", "x-amz-sdk-checksum-algorithm": "CRC32"},
    )

    content_md5_instead(request)

    assert dict(request.headers) == {
        "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()
    }
