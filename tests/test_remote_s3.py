"""The S3 remote under faults injected over the wire, against real LocalStack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from django.core.management.base import CommandError

from collectsync.remote.s3 import with_retries
from tests.conftest import INDEX_KEY, LOCATION, MANIFEST_KEY, Project, RequestLog, run_command
from tests.faultproxy import Action, Decide, FaultProxy
from tests.settings import S3_ENDPOINT


@contextmanager
def through_proxy(project: Project, decide: Decide) -> Iterator[FaultProxy]:
    upstream = urlsplit(S3_ENDPOINT)
    assert upstream.hostname is not None
    assert upstream.port is not None
    proxy = FaultProxy(upstream.hostname, upstream.port, decide)
    with proxy.running():
        project.storage_options(endpoint_url=proxy.endpoint)
        yield proxy
    project.storage_options()


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


def test_a_file_that_keeps_failing_switches_nothing_and_a_rerun_finishes(
    project: Project, request_log: RequestLog
) -> None:
    project.settings.COLLECTSYNC_MAX_ATTEMPTS = 2
    theme = f"{LOCATION}/css/theme.css"

    def decide(method: str, key: str, attempt: int) -> Action:
        return "503" if (method, key) == ("PUT", theme) else "pass"

    with through_proxy(project, decide) as proxy, pytest.raises(CommandError) as caught:
        run_command("--noinput")

    assert str(caught.value) == (
        "1 file failed to upload; the first was 'css/theme.css': S3 refused "
        f"'{theme}' in bucket '{project.bucket}': SlowDown Please reduce your request rate.. "
        "Nothing was switched: the manifest and the sync index are unchanged, so rerun to "
        "finish."
    )
    assert proxy.attempts[("PUT", theme)] == 2
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
