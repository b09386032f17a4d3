from __future__ import annotations

import signal
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import boto3
import botocore.httpsession
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from collectsync.remote.s3.crt import CrtClient
from tests.settings import S3_ENDPOINT
from tests.support.project import (
    S3_CREDENTIALS,
    Project,
    RequestLog,
    bucket_keys,
    s3_storages,
    write_static_tree,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef
    from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.fixture(scope="session")
def s3() -> S3Client:
    client: S3Client = boto3.client(
        "s3",
        endpoint_url=S3_ENDPOINT,
        aws_access_key_id=S3_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_CREDENTIALS["secret_key"],
        region_name=S3_CREDENTIALS["region_name"],
    )
    try:
        client.list_buckets()
    except (BotoCoreError, ClientError) as error:
        pytest.fail(
            f"LocalStack S3 is not reachable at {S3_ENDPOINT} ({error}); start it with "
            "`scripts/localstack start` or run the suite with `scripts/test`.",
            pytrace=False,
        )
    return client


@pytest.fixture
def bucket(s3: S3Client) -> Iterator[str]:
    name = f"collectsync-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    keys = sorted(bucket_keys(s3, name))
    for start in range(0, len(keys), 1000):  # the most one DeleteObjects request takes
        batch: list[ObjectIdentifierTypeDef] = [{"Key": key} for key in keys[start : start + 1000]]
        s3.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def static_source(tmp_path: Path) -> Path:
    return write_static_tree(tmp_path / "source")


@pytest.fixture
def project(s3: S3Client, bucket: str, static_source: Path, settings: SettingsWrapper) -> Project:
    settings.STATICFILES_DIRS = [str(static_source)]
    settings.STORAGES = s3_storages(bucket)
    return Project(s3=s3, bucket=bucket, source=static_source, settings=settings)


@pytest.fixture
def request_log(monkeypatch: pytest.MonkeyPatch) -> RequestLog:
    log = RequestLog()
    original_send = botocore.httpsession.URLLib3Session.send

    def send(self: botocore.httpsession.URLLib3Session, request: Any) -> Any:
        path = unquote(urlsplit(request.url).path).lstrip("/")
        bucket, _, key = path.partition("/")
        # A CopyObject is a PUT naming its source: logged as the copy it is.
        copying = request.method == "PUT" and "x-amz-copy-source" in request.headers
        log.requests.append(("COPY" if copying else request.method, bucket, key))
        return original_send(self, request)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", send)
    original_put, original_copy = CrtClient.put, CrtClient.copy

    # The CRT's requests (the crt extra).
    def put(self: CrtClient, key: str, *args: Any) -> str:
        log.requests.append(("PUT", self.bucket, key))
        return original_put(self, key, *args)

    def copy(self: CrtClient, key: str, *args: Any) -> str:
        log.requests.append(("COPY", self.bucket, key))
        return original_copy(self, key, *args)

    monkeypatch.setattr(CrtClient, "put", put)
    monkeypatch.setattr(CrtClient, "copy", copy)
    return log


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Ctrl-C as in a terminal, whatever this test process was started with (a job started
    in the background ignores it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True)
def staging_parent(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The folder collectsync makes its temp dirs in, so tests can see what is left, and so
    what a test keeps (--keep-local) is cleaned up with pytest's own instead of piling up in
    /tmp."""
    parent = tmp_path_factory.mktemp("staging")
    monkeypatch.setattr(tempfile, "tempdir", str(parent))
    return parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--differential-steps",
        default="8",
        # 8 makes every kind of edit at least once over the three seeds.
        help="Edits per seed in the incremental-staging differential test (default 8).",
    )
