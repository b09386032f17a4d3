"""The S3 remote against services where they behave otherwise than LocalStack: a bucket with
SSE-KMS, Backblaze B2, Cloudflare R2 and a bucket in another region, each played by the fault
proxy (scripts/faults/s3_services.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from django.core.management.base import CommandError

from collectsync.sync.upload import REFUSALS_BEFORE_STOP
from scripts.faults.proxy import Action
from scripts.faults.s3_services import (
    Backblaze,
    Cloudflare,
    CopyFailingIn200,
    InAnotherRegion,
    KmsEncrypted,
)
from tests.settings import S3_ENDPOINT
from tests.support.project import (
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    S3_CREDENTIALS,
    Project,
    RequestLog,
    run_command,
    stock_whitenoise_tree,
)
from tests.support.proxy import through_proxy

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

WORKERS = 4


def passing(method: str, key: str, attempt: int) -> Action:
    return "pass"


def put_by_another_tool(project: Project, files: dict[str, bytes], **config: Any) -> None:
    """Upload as another tool would: boto3's own defaults (a CRC32 with each object since
    1.36), straight to LocalStack, without collectsync's metadata."""
    client = boto3.client(
        "s3",
        endpoint_url=S3_ENDPOINT,
        aws_access_key_id=S3_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_CREDENTIALS["secret_key"],
        region_name=S3_CREDENTIALS["region_name"],
        config=Config(**config),
    )
    for name, data in files.items():
        client.put_object(Bucket=project.bucket, Key=f"{LOCATION}/{name}", Body=data)


def same_size_edit(data: bytes) -> bytes:
    edited = data.replace(b"margin", b"MARGIN")
    assert edited != data
    return edited


def test_kms_etags_a_lost_index_uploads_only_the_index_again(
    project: Project, request_log: RequestLog
) -> None:
    with through_proxy(project, passing, KmsEncrypted()):
        run_command("--noinput")
        objects = project.object_keys() - {INDEX_KEY}
        project.s3.delete_object(Bucket=project.bucket, Key=INDEX_KEY)
        request_log.clear()

        out, _ = run_command("--noinput")

    assert request_log.keys("PUT") == {INDEX_KEY}
    # Each object once: its ETag, not an MD5, could not vouch for it; its metadata does.
    assert request_log.keys("HEAD") == objects
    assert f" 0 uploaded to 's3://{project.bucket}/static'" in out


def test_kms_etags_verify_uploads_nothing_that_is_there_and_catches_a_change(
    project: Project, request_log: RequestLog
) -> None:
    with through_proxy(project, passing, KmsEncrypted()):
        run_command("--noinput")
        request_log.clear()
        run_command("--noinput", "--verify")
        assert request_log.keys("PUT") == {INDEX_KEY}  # as on a bucket without KMS

        theme = f"{project.manifest_paths()['css/theme.css']}"
        original = project.read(f"{LOCATION}/{theme}")
        put_by_another_tool(project, {theme: same_size_edit(original)})
        request_log.clear()
        run_command("--noinput", "--verify")

    assert request_log.keys("PUT") == {f"{LOCATION}/{theme}", INDEX_KEY}
    assert project.read(f"{LOCATION}/{theme}") == original


def test_kms_etags_taking_over_a_bucket_another_tool_filled(
    project: Project, settings: SettingsWrapper, tmp_path: Path, request_log: RequestLog
) -> None:
    stock = stock_whitenoise_tree(settings, tmp_path / "stock")
    missing, altered, older = "js/app.js", "css/theme.css", "img/icon.svg"
    there = {name: data for name, data in stock.items() if name != missing}
    put_by_another_tool(project, {**there, altered: same_size_edit(stock[altered])})
    # An object from before S3 kept checksums: nothing but its bytes could tell.
    kms = KmsEncrypted(without_checksums={f"{LOCATION}/{older}"})
    report = tmp_path / "report.json"
    request_log.clear()

    with through_proxy(project, passing, kms):
        out, _ = run_command("--noinput", "--json-report", str(report))

    uploaded = {f"{LOCATION}/{name}" for name in (missing, altered, older)}
    assert request_log.keys("PUT") == uploaded | {INDEX_KEY}
    assert {name: project.read(f"{LOCATION}/{name}") for name in stock} == stock
    assert json.loads(report.read_text())["unverifiable_files"] == [older]
    assert ", 1 uploaded again only because the remote keeps no checksum that shows " in out


def test_backblaze_b2_needs_no_configuration(project: Project) -> None:
    with through_proxy(project, passing, Backblaze()) as proxy:
        run_command("--noinput")
        (project.source / "css/site.css").write_text(".small {}\n")  # its variants go stale
        run_command("--noinput", "--clear")

    assert proxy.refused == []
    assert proxy.attempts[("POST", "")] >= 1  # DeleteObjects, with a Content-MD5
    assert project.read(f"{LOCATION}/css/site.css") == b".small {}\n"
    assert f"{LOCATION}/css/site.css.gz" not in project.object_keys()


def test_a_checksum_setting_the_service_refuses_is_named_at_the_first_refusal(
    project: Project, staging_parent: Path
) -> None:
    chosen = Config(
        request_checksum_calculation="when_supported", response_checksum_validation="when_supported"
    )
    with through_proxy(project, passing, Backblaze()) as proxy:
        project.storage_options(endpoint_url=proxy.endpoint, client_config=chosen)
        with pytest.raises(CommandError) as caught:
            run_command("--noinput")

    assert str(caught.value) == (
        f"The S3 service of bucket '{project.bucket}' refused boto3's integrity checksums for "
        f"'{INDEX_KEY}' (Unsupported header 'x-amz-checksum-mode' received for this API "
        'call); set AWS_S3_CLIENT_CONFIG = Config(request_checksum_calculation="when_required", '
        'response_checksum_validation="when_required") (or the storage\'s client_config) and '
        "rerun."
    )
    assert proxy.refused == [("GET", INDEX_KEY)]
    assert list(staging_parent.iterdir()) == []


def more_sources(project: Project, count: int = 40) -> None:
    for n in range(count):
        (project.source / f"extra/{n}.txt").parent.mkdir(exist_ok=True)
        (project.source / f"extra/{n}.txt").write_text(f"extra {n}\n")


def test_an_acl_the_service_does_not_implement_stops_the_deploy_after_a_few(
    project: Project,
) -> None:
    more_sources(project)
    with through_proxy(project, passing, Cloudflare()) as proxy:
        project.storage_options(endpoint_url=proxy.endpoint, default_acl="public-read")
        with pytest.raises(CommandError) as caught:
            run_command("--noinput", "--workers", str(WORKERS))

    assert re.fullmatch(
        r"Stopped uploading after \d+ files were refused, the first '[^']+': The S3 service of "
        rf"bucket '{project.bucket}' does not implement ACLs: it refused '{LOCATION}/[^']+' "
        r"with the ACL 'public-read' \(NotImplemented\); set AWS_DEFAULT_ACL = None \(or the "
        r"storage's default_acl\) and rerun\. Nothing was switched: the manifest and the sync "
        r"index are unchanged\.",
        str(caught.value),
    )
    # Those under way when the last of a handful was refused may be refused too.
    assert REFUSALS_BEFORE_STOP <= len(proxy.refused) <= REFUSALS_BEFORE_STOP + WORKERS - 1
    assert project.object_keys() == set()


def test_uploads_denied_stop_the_deploy_after_a_few(project: Project) -> None:
    more_sources(project)

    def deny_uploads(method: str, key: str, attempt: int) -> Action:
        return "403" if method == "PUT" else "pass"

    with through_proxy(project, deny_uploads) as proxy, pytest.raises(CommandError) as caught:
        run_command("--noinput", "--workers", str(WORKERS))

    assert "files were refused" in str(caught.value)
    assert "check the credentials (AWS_S3_ACCESS_KEY_ID and AWS_S3_SECRET_ACCESS_KEY" in str(
        caught.value
    )
    assert REFUSALS_BEFORE_STOP <= len(proxy.faults) <= REFUSALS_BEFORE_STOP + WORKERS - 1
    assert MANIFEST_KEY not in project.object_keys()


def test_the_bucket_in_another_region_refuses_only_what_is_signed_for_another(
    project: Project,
) -> None:
    with through_proxy(project, passing, InAnotherRegion("eu-west-1")) as proxy:
        for region in ("eu-west-1", "us-east-1"):
            client = boto3.client(
                "s3",
                endpoint_url=proxy.endpoint,
                region_name=region,
                aws_access_key_id=S3_CREDENTIALS["access_key"],
                aws_secret_access_key=S3_CREDENTIALS["secret_key"],
            )
            client.put_object(Bucket=project.bucket, Key=f"{region}.txt", Body=region.encode())
            assert client.get_object(Bucket=project.bucket, Key=f"{region}.txt")["Body"].read()
    refusal = InAnotherRegion("eu-west-1").refusal(
        "PUT",
        "/bucket/key",
        [("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261206/us-east-1/s3/aws4_request")],
        b"",
    )

    # botocore was refused once, learnt the bucket's region from the answer, and kept it.
    assert proxy.refused == [("PUT", "us-east-1.txt")]
    assert project.read("us-east-1.txt") == b"us-east-1"
    assert refusal == (
        400,
        "application/xml",
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AuthorizationHeaderMalformed'
        b"</Code><Message>The authorization header is malformed; the region 'us-east-1' is "
        b"wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>",
    )


def test_the_copy_failing_in_200_fails_each_keys_first_copy_only(project: Project) -> None:
    project.s3.put_object(Bucket=project.bucket, Key="source.txt", Body=b"source")
    with through_proxy(project, passing, CopyFailingIn200()) as proxy:
        client = boto3.client(
            "s3",
            endpoint_url=proxy.endpoint,
            region_name=S3_CREDENTIALS["region_name"],
            aws_access_key_id=S3_CREDENTIALS["access_key"],
            aws_secret_access_key=S3_CREDENTIALS["secret_key"],
            config=Config(retries={"total_max_attempts": 1}),
        )
        source = f"{project.bucket}/source.txt"
        with pytest.raises(ClientError) as failed:
            client.copy_object(Bucket=project.bucket, Key="copy.txt", CopySource=source)
        copied_before = project.s3.list_objects_v2(Bucket=project.bucket, Prefix="copy.txt")
        client.copy_object(Bucket=project.bucket, Key="copy.txt", CopySource=source)
        client.put_object(Bucket=project.bucket, Key="put.txt", Body=b"put")

    assert failed.value.response["Error"]["Code"] == "InternalError"
    assert copied_before.get("KeyCount") == 0  # the failed copy did not reach LocalStack
    assert project.read("copy.txt") == b"source"
    assert proxy.refused == [("PUT", "copy.txt")]
