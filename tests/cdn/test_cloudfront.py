"""CloudFront invalidations against moto's server, and the signal every other CDN listens to:
exactly the unhashed names whose bytes a release changed, compared with two full Whitenoise
collects."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.management import call_command
from django.core.management.base import CommandError

from collectsync.cdn import cloudfront as cdn_cloudfront
from collectsync.cdn.paths import is_hashed
from collectsync.index.releases import Release
from collectsync.signals import Collectsync, release_published
from tests.settings import CLOUDFRONT_ENDPOINT
from tests.support.project import (
    CSS_RULES,
    MANIFEST_KEY,
    Project,
    run_command,
    stock_whitenoise_tree,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def cloudfront() -> Any:
    return boto3.client(
        "cloudfront",
        endpoint_url=CLOUDFRONT_ENDPOINT,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


@pytest.fixture
def distribution(
    project: Project, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A distribution in moto's server, configured the way users configure theirs: one setting,
    and boto3's own endpoint variable."""
    origin = {"Id": "s3", "DomainName": f"{project.bucket}.s3.amazonaws.com"}
    try:
        created = cloudfront().create_distribution(
            DistributionConfig={
                "CallerReference": uuid.uuid4().hex,
                "Origins": {
                    "Quantity": 1,
                    "Items": [{**origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "s3",
                    "ViewerProtocolPolicy": "allow-all",
                    "MinTTL": 0,
                    "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                },
                "Comment": "collectsync tests",
                "Enabled": True,
            }
        )
    except EndpointConnectionError as error:
        pytest.fail(
            f"moto's server is not reachable at {CLOUDFRONT_ENDPOINT} ({error}); start it with "
            "`scripts/emulators start` or run the suite with `scripts/test`.",
            pytrace=False,
        )
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", CLOUDFRONT_ENDPOINT)
    identifier = str(created["Distribution"]["Id"])
    settings.COLLECTSYNC_CLOUDFRONT_DISTRIBUTION = identifier
    return identifier


def invalidated(distribution: str) -> list[list[str]]:
    """The paths of each invalidation the distribution was sent, oldest first."""
    client = cloudfront()
    listed = client.list_invalidations(DistributionId=distribution)["InvalidationList"]
    batches = []
    for item in reversed(listed.get("Items", [])):
        invalidation = client.get_invalidation(DistributionId=distribution, Id=item["Id"])
        batches.append(invalidation["Invalidation"]["InvalidationBatch"]["Paths"]["Items"])
    return batches


def version_2(source: Path) -> None:
    (source / "css/theme.css").write_text("/* theme, v2 */\n" + CSS_RULES)
    (source / "robots.txt").write_text("User-agent: *\nDisallow: /v2/\n")
    (source / "img/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"v2" * 300)


def changed_unhashed(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """The URL paths of the unhashed names a full collect of ``after`` writes other bytes to
    than one of ``before`` did."""
    return sorted(
        f"/static/{name}"
        for name, data in after.items()
        if not is_hashed(name) and name in before and before[name] != data
    )


def test_a_deploy_invalidates_exactly_the_unhashed_paths_it_changed(
    project: Project, distribution: str, settings: SettingsWrapper, tmp_path: Path
) -> None:
    (project.source / "robots.txt").write_text("User-agent: *\nDisallow: /v1/\n")
    run_command("--noinput")
    v1 = stock_whitenoise_tree(settings, tmp_path / "v1")
    assert invalidated(distribution) == []  # the first deploy overwrote nothing
    version_2(project.source)

    out, _ = run_command("--noinput")

    v2 = stock_whitenoise_tree(settings, tmp_path / "v2")
    (paths,) = invalidated(distribution)
    assert sorted(paths) == changed_unhashed(v1, v2)
    assert {"/static/robots.txt", "/static/css/theme.css", "/static/staticfiles.json"} <= set(paths)
    assert f"CloudFront distribution '{distribution}': {len(paths)} paths invalidated." in out

    # A rollback invalidates what it changed back: the same paths.
    run_command("--noinput", "--rollback")
    assert [sorted(batch) for batch in invalidated(distribution)[1:]] == [sorted(paths)]


def test_nothing_changed_invalidates_nothing(project: Project, distribution: str) -> None:
    run_command("--noinput")
    run_command("--noinput")

    assert invalidated(distribution) == []


def test_a_failed_invalidation_says_the_release_is_live_and_how_to_retry(
    project: Project, distribution: str, settings: SettingsWrapper
) -> None:
    run_command("--noinput")
    version_2(project.source)
    settings.COLLECTSYNC_CLOUDFRONT_DISTRIBUTION = "EDOESNOTEXIST"

    with pytest.raises(CommandError) as failed:
        run_command("--noinput")

    message = str(failed.value)
    assert message.startswith(
        "Release 2 is live, but CloudFront has no distribution 'EDOESNOTEXIST', so its 5 "
        "changed paths were not invalidated; set COLLECTSYNC_CLOUDFRONT_DISTRIBUTION to the id "
        "of the distribution in front of the bucket, and this once run `aws cloudfront "
        "create-invalidation --distribution-id <its id> --paths /static/"
    )
    assert "\n" not in message
    assert project.read(MANIFEST_KEY) != b""  # the switch happened: v2 is live
    assert "/static/css/theme.css " in message


def test_an_unreachable_cloudfront_is_not_called_a_refusal(
    project: Project, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_command("--noinput")
    version_2(project.source)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setattr(cdn_cloudfront, "ATTEMPTS", 1)  # not four more refused connections

    with pytest.raises(CommandError) as failed:
        run_command("--noinput")

    message = str(failed.value)
    assert message.startswith(
        "Release 2 is live, but CloudFront could not be reached to invalidate its 5 changed "
        'paths (Could not connect to the endpoint URL: "http://127.0.0.1:9/'
    )
    retry = f"`aws cloudfront create-invalidation --distribution-id {distribution} --paths "
    assert retry in message
    assert message.endswith("` once it can be.")


def test_a_receiver_that_raises_comes_after_the_summary_and_cloudfront(
    project: Project, distribution: str
) -> None:
    run_command("--noinput")
    version_2(project.source)

    def broken(sender: type, **kwargs: Any) -> None:
        raise RuntimeError("the CDN's API key expired")

    release_published.connect(broken)
    out = io.StringIO()
    try:
        with pytest.raises(CommandError) as failed:
            call_command("collectstatic", "--noinput", stdout=out)
    finally:
        release_published.disconnect(broken)

    assert str(failed.value) == (
        "Release 2 is live, but the receiver test_a_receiver_that_raises_comes_after_the_summary"
        "_and_cloudfront.<locals>.broken of collectsync.signals.release_published failed "
        '(RuntimeError("the CDN\'s API key expired")); fix it and tell the CDN by hand this '
        "once."
    )
    (paths,) = invalidated(distribution)
    # What the deploy did is printed first: the summary, and CloudFront's line.
    assert " uploaded to 's3://" in out.getvalue()
    assert out.getvalue().endswith(
        f"\nCloudFront distribution '{distribution}': {len(paths)} paths invalidated.\n"
    )


def test_the_signal_names_the_release_and_its_changed_paths(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    heard: list[dict[str, Any]] = []

    def receiver(sender: type, **kwargs: Any) -> None:
        heard.append(kwargs)

    release_published.connect(receiver, sender=Collectsync)
    try:
        run_command("--noinput", "--release-name", "one")
        v1 = stock_whitenoise_tree(settings, tmp_path / "v1")
        version_2(project.source)
        run_command("--noinput", "--release-name", "two")
        v2 = stock_whitenoise_tree(settings, tmp_path / "v2")
        run_command("--noinput", "--rollback")
    finally:
        release_published.disconnect(receiver)

    releases: list[Release] = [kwargs["release"] for kwargs in heard]
    assert [(r.number, r.name, r.rollback_of) for r in releases] == [
        (1, "one", None),
        (2, "two", None),
        (3, None, 1),
    ]
    assert [kwargs["paths"] for kwargs in heard] == [
        [],
        changed_unhashed(v1, v2),
        changed_unhashed(v1, v2),
    ]
    assert heard[1]["names"] == [path.removeprefix("/static/") for path in heard[1]["paths"]]
    assert {kwargs["destination"] for kwargs in heard} == {f"s3://{project.bucket}/static"}
