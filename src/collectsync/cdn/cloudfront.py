"""CloudFront: one invalidation per release, of exactly the unhashed paths it changed.

The client is built as boto3 users configure theirs: the S3 storage's own credentials or
profile when it has them, else boto3's default chain; ``AWS_ENDPOINT_URL_CLOUDFRONT`` and the
rest of boto3's standard configuration apply as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collectsync.cdn.paths import covering
from collectsync.errors import DeployError

if TYPE_CHECKING:
    import boto3

PATHS_PER_INVALIDATION = 3000
"""CloudFront's limit on the paths of the invalidations in progress for a distribution."""
ATTEMPTS = 5
"""How many times the invalidation is tried (botocore's standard retry mode)."""


class InvalidationFailed(DeployError):
    pass


def session_for(storage: Any) -> boto3.Session:
    """The boto3 session the S3 storage authenticates with, or boto3's default one."""
    try:
        import boto3
    except ImportError as error:  # only the s3 and cloudfront extras install it
        raise DeployError(
            "COLLECTSYNC_CLOUDFRONT_DISTRIBUTION needs boto3; install "
            "django-collectsync[cloudfront] (or boto3) where you deploy."
        ) from error

    profile = getattr(storage, "session_profile", None)
    if profile:
        return boto3.Session(profile_name=profile)
    keys = {
        "aws_access_key_id": getattr(storage, "access_key", None),
        "aws_secret_access_key": getattr(storage, "secret_key", None),
        "aws_session_token": getattr(storage, "security_token", None),
    }
    return boto3.Session(**{name: value for name, value in keys.items() if value})


def invalidate(
    distribution: str, paths: list[str], *, reference: str, storage: Any, release: int
) -> list[str]:
    """Ask CloudFront to invalidate ``paths`` (covered by wildcards past its limit); the paths
    sent. ``reference`` makes a retry of the same request the same invalidation."""
    sent = covering(paths, PATHS_PER_INVALIDATION)
    if not sent:
        return []
    try:
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        session_for(storage)  # says which extra to install
        raise
    config = Config(retries={"mode": "standard", "max_attempts": ATTEMPTS})
    try:
        session = session_for(storage)
        # CloudFront is global and signs in us-east-1, whatever region the rest uses.
        region = session.region_name or "us-east-1"
        client = session.client("cloudfront", config=config, region_name=region)
        client.create_invalidation(
            DistributionId=distribution,
            InvalidationBatch={
                "Paths": {"Quantity": len(sent), "Items": sent},
                "CallerReference": reference[:128],
            },
        )
    except (ClientError, BotoCoreError) as error:
        raise failure(error, distribution, sent, release) from error
    return sent


def failure(error: Exception, distribution: str, sent: list[str], release: int) -> DeployError:
    """What to tell the user when CloudFront did not take the invalidation."""
    from botocore.exceptions import ClientError

    shown = " ".join(sent) if len(sent) <= 10 else f"'/*' or the {len(sent)} paths"
    paths = f"its {len(sent)} changed path{'s' if len(sent) != 1 else ''}"
    code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
    if code == "NoSuchDistribution":
        return InvalidationFailed(
            f"Release {release} is live, but CloudFront has no distribution '{distribution}', "
            f"so {paths} were not invalidated; set COLLECTSYNC_CLOUDFRONT_DISTRIBUTION to the "
            "id of the distribution in front of the bucket, and this once run `aws cloudfront "
            f"create-invalidation --distribution-id <its id> --paths {shown}`."
        )
    if code is None:  # no answer: the endpoint could not be reached
        return InvalidationFailed(
            f"Release {release} is live, but CloudFront could not be reached to invalidate "
            f"{paths} ({error}); retry with `aws cloudfront create-invalidation "
            f"--distribution-id {distribution} --paths {shown}` once it can be."
        )
    return InvalidationFailed(
        f"Release {release} is live, but CloudFront distribution '{distribution}' refused "
        f"to invalidate {paths} ({code}); retry with `aws cloudfront create-invalidation "
        f"--distribution-id {distribution} --paths {shown}`."
    )
