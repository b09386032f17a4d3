"""Uploads through the AWS Common Runtime (the crt extra), against real LocalStack.

The test sessions on Python 3.13 install the extra and the others don't (noxfile.py), so
each test here states what holds both ways: through the CRT where it is installed, through
botocore where it isn't, the bucket the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    HTTPClientError,
)

from collectsync.remote.s3 import crt
from collectsync.remote.s3.crt import CrtClient
from collectsync.remote.s3.crt_wire import copied, copy_source, failure, header_list
from collectsync.remote.s3.errors import remote_error
from scripts.faults.proxy import Action
from scripts.faults.s3_services import CopyFailingIn200, InAnotherRegion
from tests.support.project import (
    CSS_RULES,
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    Project,
    RequestLog,
    run_command,
    stock_whitenoise_tree,
)
from tests.support.proxy import through_proxy

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from pytest_django.fixtures import Settings as SettingsWrapper


def passing(method: str, key: str, attempt: int) -> Action:
    return "pass"


def keys_asked_of(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    """The keys each call of the CRT client's ``method`` was for."""
    keys: list[str] = []
    original = getattr(CrtClient, method)

    def counted(self: CrtClient, key: str, *args: Any) -> str:
        keys.append(key)
        return str(original(self, key, *args))

    monkeypatch.setattr(CrtClient, method, counted)
    return keys


@pytest.fixture
def through_crt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys the CRT's uploads were asked to write."""
    return keys_asked_of(monkeypatch, "put")


@pytest.fixture
def copied_through_crt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys the CRT's client was asked to copy to."""
    return keys_asked_of(monkeypatch, "copy")


def test_files_go_through_the_crt_where_it_is_installed(
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    request_log: RequestLog,
    through_crt: list[str],
) -> None:
    run_command("--noinput")

    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert {name: project.read(f"{LOCATION}/{name}") for name in expected} == expected
    # The manifest (the switch) and the index are written with botocore's retries.
    files = request_log.keys("PUT") - {MANIFEST_KEY, INDEX_KEY}
    assert set(through_crt) == (files if crt.available() else set())
    assert len(through_crt) == len(files if crt.available() else ())


def test_a_bucket_in_another_region_is_deployed_to_as_botocore_would(
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    request_log: RequestLog,
    through_crt: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The settings say us-east-1 (S3_CREDENTIALS); the bucket is in eu-west-1.
    with through_proxy(project, passing, InAnotherRegion("eu-west-1")) as proxy:
        run_command("--noinput")

    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert {name: project.read(f"{LOCATION}/{name}") for name in expected} == expected
    assert proxy.refused  # requests signed for us-east-1 were refused, and sent again
    assert request_log.keys("PUT") == {f"{LOCATION}/{name}" for name in expected} | {INDEX_KEY}
    # Through the CRT until S3 first refused it, then through botocore, said once.
    assert bool(through_crt) == crt.available()
    warned = [r.getMessage() for r in caplog.records if "another region" in r.getMessage()]
    assert warned == (
        [
            f"Bucket '{project.bucket}' is in another region than its storage's settings say "
            "(AuthorizationHeaderMalformed): botocore found it, and uploads and copies go "
            "through botocore instead of the CRT; set AWS_S3_REGION_NAME (or the storage's "
            "region_name) to the bucket's region."
        ]
        if crt.available()
        else []
    )


def test_copies_go_through_the_crt_and_an_error_answered_200_is_tried_again(
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    request_log: RequestLog,
    copied_through_crt: list[str],
) -> None:
    run_command("--noinput")
    v1 = stock_whitenoise_tree(settings, tmp_path / "v1")
    (project.source / "css/theme.css").write_text("/* v2 */\n" + CSS_RULES)
    run_command("--noinput")
    request_log.requests.clear()
    copied_through_crt.clear()

    with through_proxy(project, passing, CopyFailingIn200()) as proxy:
        run_command("--noinput", "--rollback")

    assert {name: project.read(f"{LOCATION}/{name}") for name in v1} == v1
    copies = request_log.keys("COPY")
    assert {f"{LOCATION}/css/theme.css", MANIFEST_KEY} <= copies
    # Each key's first copy was answered 200 with an error, and was made again.
    assert sorted(proxy.refused) == sorted(("PUT", key) for key in copies)
    assert set(copied_through_crt) == (copies if crt.available() else set())


def test_what_only_botocore_can_send_goes_through_botocore(
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    request_log: RequestLog,
    through_crt: list[str],
) -> None:
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)  # a date: botocore formats it
    project.storage_options(object_parameters={"Expires": expires})

    run_command("--noinput")

    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert {name: project.read(f"{LOCATION}/{name}") for name in expected} == expected
    assert through_crt == []
    head = project.s3.head_object(Bucket=project.bucket, Key=f"{LOCATION}/css/theme.css")
    assert head["Expires"] == expires


def headers_sent(client: S3Client, operation: str, call: Callable[[], object]) -> dict[str, str]:
    """The headers of the ``operation`` botocore sends when ``call()`` makes it."""
    sent: dict[str, str] = {}

    def keep(request: Any, **kwargs: Any) -> None:
        sent.update(
            {
                name: str(value, "utf-8") if isinstance(value, bytes) else value
                for name, value in request.headers.items()
            }
        )

    client.meta.events.register(f"before-send.s3.{operation}", keep)
    try:
        call()
    finally:
        client.meta.events.unregister(f"before-send.s3.{operation}", keep)
    return sent


def test_the_headers_are_the_ones_botocore_sends(project: Project) -> None:
    client = project.s3
    parameters = {
        "ContentType": "text/css",
        "CacheControl": "max-age=60",
        "ContentMD5": "1B2M2Y8AsgTpgAmY7PhCfg==",
        "Metadata": {"collectsync-md5": "d41d8cd98f00b204e9800998ecf8427e"},
        "BucketKeyEnabled": True,
        "ACL": "public-read",
    }
    sent = headers_sent(
        client,
        "PutObject",
        lambda: client.put_object(Bucket=project.bucket, Key="probe.css", Body=b"", **parameters),  # type: ignore[arg-type]
    )

    shape = client.meta.service_model.operation_model("PutObject").input_shape
    assert shape is not None
    headers = header_list(shape, parameters)

    assert headers is not None
    assert len(headers) == 6
    assert {name: sent[name] for name, _ in headers} == dict(headers)
    assert header_list(shape, {"Expires": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}) is None
    assert header_list(shape, {"NoSuchParameter": "x"}) is None


def test_a_copys_headers_are_the_ones_botocore_sends(project: Project) -> None:
    client = project.s3
    client.put_object(Bucket=project.bucket, Key="a b+ü~.css", Body=b"")
    head = client.head_object(Bucket=project.bucket, Key="a b+ü~.css")
    parameters = {
        "MetadataDirective": "COPY",
        "CopySourceIfMatch": head["ETag"],
        "ACL": "public-read",
        "BucketKeyEnabled": True,
    }
    sent = headers_sent(
        client,
        "CopyObject",
        lambda: client.copy_object(
            Bucket=project.bucket,
            Key="copy.css",
            CopySource={"Bucket": project.bucket, "Key": "a b+ü~.css"},
            **parameters,  # type: ignore[arg-type]
        ),
    )

    shape = client.meta.service_model.operation_model("CopyObject").input_shape
    assert shape is not None
    headers = [*(header_list(shape, parameters) or []), copy_source(project.bucket, "a b+ü~.css")]

    assert len(headers) == 5
    assert {name: sent[name] for name, _ in headers} == dict(headers)


def test_a_copy_answered_200_with_an_error_fails_as_botocore_says_it() -> None:
    done = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="http://s3.amazonaws'
        b'.com/doc/2006-03-01/"><LastModified>2026-12-06T19:00:00.000Z</LastModified><ETag>'
        b'"9a0364b9e99bb480dd25e1f0284c8555"</ETag></CopyObjectResult>'
    )
    assert copied(done) == '"9a0364b9e99bb480dd25e1f0284c8555"'
    failed = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>'
        b"We encountered an internal error. Please try again.</Message></Error>"
    )
    for body, code, message in (
        (failed, "InternalError", "We encountered an internal error. Please try again."),
        (b"", "InternalError", ""),  # the connection ended before the body did
    ):
        with pytest.raises(ClientError) as raised:
            copied(body)
        assert raised.value.response["Error"] == {"Code": code, "Message": message}
        # As botocore gives it, so that it is retried: a 500.
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


class CrtError(Exception):
    """What awscrt raises: a name, and for an error answer its status, headers and body."""

    def __init__(self, name: str, **answer: Any) -> None:
        super().__init__(name)
        self.name = name
        self.__dict__.update(answer)


URL = "http://localhost:4566/bucket/static/app.js"


def test_failures_are_botocores() -> None:
    denied = CrtError(
        "AWS_ERROR_S3_INVALID_RESPONSE_STATUS",
        status_code=403,
        headers=[("x-amz-request-id", "1")],
        body=b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
    )
    refused = failure(denied, URL)
    assert isinstance(refused, ClientError)
    assert refused.response["Error"] == {"Code": "AccessDenied", "Message": "Access Denied"}
    assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    slow = failure(CrtError("AWS_ERROR_S3_SLOW_DOWN"), URL)
    assert isinstance(slow, ClientError)
    assert slow.response["Error"]["Code"] == "SlowDown"
    assert slow.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    # What the CRT raises for a CopyObject answered 200 with an error it doesn't retry.
    in_200 = CrtError(
        "AWS_ERROR_S3_NON_RECOVERABLE_ASYNC_ERROR",
        status_code=200,
        body=b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
    )
    denied_in_200 = failure(in_200, URL, "CopyObject")
    assert isinstance(denied_in_200, ClientError)
    assert denied_in_200.operation_name == "CopyObject"
    assert denied_in_200.response["Error"] == {"Code": "AccessDenied", "Message": "Access Denied"}
    assert denied_in_200.response["ResponseMetadata"]["HTTPStatusCode"] == 500  # as botocore

    bare = failure(CrtError("AWS_ERROR_S3_INVALID_RESPONSE_STATUS", status_code=502), URL)
    assert isinstance(bare, ClientError)
    assert bare.response["Error"]["Code"] == "502"

    closed = failure(CrtError("AWS_IO_SOCKET_CLOSED"), URL)
    assert isinstance(closed, ConnectionClosedError)
    assert f'endpoint URL: "{URL}"' in str(closed)
    assert isinstance(
        failure(CrtError("AWS_IO_SOCKET_CONNECTION_REFUSED"), URL), EndpointConnectionError
    )
    assert isinstance(failure(CrtError("AWS_IO_DNS_INVALID_NAME"), URL), EndpointConnectionError)
    other = failure(CrtError("AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE"), URL)
    assert type(other) is HTTPClientError


def test_a_bucket_in_another_region_is_named_with_the_setting_to_fix() -> None:
    wrong = CrtError(
        "AWS_ERROR_S3_INVALID_RESPONSE_STATUS",
        status_code=400,
        body=b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization "
        b"header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
        b"</Message></Error>",
    )

    error = remote_error(failure(wrong, URL), "my-bucket", "static/app.js")

    assert str(error) == (
        "Bucket 'my-bucket' is not in the region the request for 'static/app.js' was signed "
        "for (AuthorizationHeaderMalformed The authorization header is malformed; the region "
        "'us-east-1' is wrong; expecting 'eu-west-1'); set AWS_S3_REGION_NAME (or the "
        "storage's region_name) to the bucket's region and rerun."
    )
