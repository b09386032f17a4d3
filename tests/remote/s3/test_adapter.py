"""The S3 remote under faults injected over the wire, against real LocalStack."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.httpsession
import pytest
from botocore.config import Config
from django.core.management.base import CommandError

from collectsync.files import Entry
from collectsync.index.sync_index import SyncIndex
from collectsync.remote.s3.config import with_retries
from scripts.faults.proxy import Action
from tests.support.project import (
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    Project,
    RequestLog,
    run_command,
)
from tests.support.proxy import through_proxy


def test_transient_errors_are_retried(project: Project) -> None:
    def decide(method: str, key: str, attempt: int) -> Action:
        if attempt > 1:
            return "pass"
        if key == INDEX_KEY:
            return "503"  # the first read of the index too
        if method == "PUT" and key.endswith(".css"):
            return "503"
        if method == "PUT" and key.endswith(".js"):
            return "reset"
        return "pass"

    with through_proxy(project, decide) as proxy:
        run_command("--noinput")

    faulted = {key for _, key, _ in proxy.faults}
    assert {f"{LOCATION}/css/theme.css", f"{LOCATION}/js/app.js", INDEX_KEY} <= faulted
    assert {action for _, _, action in proxy.faults} == {"503", "reset"}
    assert faulted - {INDEX_KEY} <= project.object_keys()
    assert MANIFEST_KEY in project.object_keys()


def test_a_file_failing_past_its_deadline_switches_nothing_and_a_rerun_finishes(
    project: Project, request_log: RequestLog
) -> None:
    project.settings.COLLECTSYNC_RETRY_DEADLINE = 0.001  # no later round
    theme = f"{LOCATION}/css/theme.css"

    def decide(method: str, key: str, attempt: int) -> Action:
        return "503" if (method, key) == ("PUT", theme) else "pass"

    with through_proxy(project, decide) as proxy, pytest.raises(CommandError) as caught:
        run_command("--noinput")

    assert str(caught.value) == (
        "1 file failed to upload; the first was 'css/theme.css': S3 refused "
        f"'{theme}' in bucket '{project.bucket}': SlowDown Please reduce your request rate. "
        "Nothing was switched: the manifest and the sync index are unchanged, so rerun to "
        "finish."
    )
    # One attempt: an upload goes again only in a later round, never inside its request.
    assert proxy.attempts[("PUT", theme)] == 1
    assert MANIFEST_KEY not in project.object_keys()
    assert INDEX_KEY not in project.object_keys()
    assert f"{LOCATION}/js/app.js" in project.object_keys()

    request_log.clear()
    run_command("--noinput")

    # Only what failed before, then the switch: the partial record saved the rest.
    assert request_log.keys("PUT") == {theme, MANIFEST_KEY, INDEX_KEY}
    assert {MANIFEST_KEY, INDEX_KEY, theme} <= project.object_keys()


def test_retries_are_added_only_when_the_storage_sets_none() -> None:
    standard = {"mode": "standard", "total_max_attempts": 5}
    assert retries_of(with_retries(Config())) == standard
    own = Config(retries={"mode": "legacy", "max_attempts": 9})
    assert retries_of(with_retries(own)) == {"mode": "legacy", "max_attempts": 9}
    assert retries_of(with_retries(None)) == standard


def retries_of(config: Config) -> object:
    return getattr(config, "retries", None)


def test_access_denied_names_the_bucket_never_the_secret(
    project: Project, staging_parent: Path
) -> None:
    secret = "s3cr3t-value-that-must-not-leak"
    with through_proxy(project, lambda method, key, attempt: "403") as proxy:
        project.storage_options(endpoint_url=proxy.endpoint, secret_key=secret)
        with pytest.raises(CommandError) as caught:
            run_command("--noinput")

    assert str(caught.value) == (
        f"Access to bucket '{project.bucket}' was denied (AccessDenied) for "
        f"'{INDEX_KEY}'; check the credentials (AWS_S3_ACCESS_KEY_ID and "
        "AWS_S3_SECRET_ACCESS_KEY, or the storage's access_key and secret_key) and the "
        "bucket's policy."
    )
    assert secret not in str(caught.value)
    assert list(staging_parent.iterdir()) == []
    assert project.object_keys() == set()


def test_missing_credentials_are_one_sentence(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    project.storage_options(access_key=None, secret_key=None)

    with pytest.raises(CommandError) as caught:
        run_command("--noinput")

    assert str(caught.value) == (
        f"No AWS credentials were found for bucket '{project.bucket}'; set "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the storage's credentials."
    )


def test_a_concurrent_deploy_is_merged_not_overwritten(project: Project) -> None:
    theirs = SyncIndex({"theirs.css": Entry("1" * 32, 2)}, release_number=1)

    def another_deploy_writes_its_index(method: str, key: str, attempt: int) -> Action:
        if method == "PUT" and key.endswith("theme.css") and attempt == 1:
            project.s3.put_object(Bucket=project.bucket, Key=INDEX_KEY, Body=theirs.to_bytes())
        return "pass"

    with through_proxy(project, another_deploy_writes_its_index) as proxy:
        _, err = run_command("--noinput")

    assert "Another deploy updated the sync index in" in err
    assert ("PUT", INDEX_KEY) in proxy.attempts
    written = SyncIndex.from_bytes(project.read(INDEX_KEY))
    assert "theirs.css" in written.files
    assert "css/theme.css" in written.files
    assert written.release_number == 2


def test_a_stalled_request_times_out_and_is_retried(project: Project) -> None:
    theme = f"{LOCATION}/css/theme.css"

    def stall_once(method: str, key: str, attempt: int) -> Action:
        return "stall" if (method, key, attempt) == ("PUT", theme, 1) else "pass"

    with through_proxy(project, stall_once) as proxy:
        proxy.stall_seconds = 3
        project.storage_options(
            endpoint_url=proxy.endpoint, client_config=Config(read_timeout=1, connect_timeout=1)
        )
        run_command("--noinput")

    assert proxy.faults == [("PUT", theme, "stall")]
    # Retried at least once (again, should LocalStack on a busy machine answer too late).
    assert proxy.attempts[("PUT", theme)] >= 2
    assert {theme, MANIFEST_KEY, INDEX_KEY} <= project.object_keys()


def test_a_service_without_conditional_writes_gets_the_index_unconditionally(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    def decide(method: str, key: str, attempt: int) -> Action:
        # Like an S3-compatible service that rejects If-None-Match / If-Match on PutObject.
        return "501" if (method, key, attempt) == ("PUT", INDEX_KEY, 1) else "pass"

    with through_proxy(project, decide) as proxy:
        run_command("--noinput")

    assert proxy.faults == [("PUT", INDEX_KEY, "501")]
    assert proxy.attempts[("PUT", INDEX_KEY)] == 2
    assert SyncIndex.from_bytes(project.read(INDEX_KEY)).manifest_name == "staticfiles.json"
    assert [record.getMessage() for record in caplog.records] == [
        f"Bucket '{project.bucket}' does not support conditional writes (NotImplemented); the "
        "sync index was written unconditionally, so a concurrent deploy may overwrite it."
    ]


def test_only_large_bodies_wait_for_100_continue(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore sends every body with `Expect: 100-continue`, a round trip before the body.
    monkeypatch.setattr("collectsync.remote.s3.config.CONTINUE_ABOVE", 1000)
    expecting: dict[str, bool] = {}
    send = botocore.httpsession.URLLib3Session.send

    def noting(session: botocore.httpsession.URLLib3Session, request: Any) -> Any:
        if request.method == "PUT":
            key = unquote(urlsplit(request.url).path).lstrip("/").partition("/")[2]
            expect = request.headers.get("Expect") or b""
            expect = expect if isinstance(expect, bytes) else expect.encode()
            expecting[key] = expect == b"100-continue"
        return send(session, request)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", noting)

    run_command("--noinput")

    sizes = {key: len(project.read(key)) for key in expecting}
    assert expecting == {key: size > 1000 for key, size in sizes.items()}
    assert set(expecting.values()) == {True, False}  # files on both sides of the limit
