"""After the switch: tell the signal's receivers and CloudFront, if one is configured, which
unhashed paths a live release changed."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from collectsync.cdn.cloudfront import invalidate
from collectsync.cdn.paths import url_paths
from collectsync.conf import conf
from collectsync.errors import DeployError
from collectsync.index.releases import Release
from collectsync.signals import Collectsync, release_published


class AnnouncementFailed(DeployError):
    """A release is live, but telling a receiver or the CDN failed: ``done`` is what to print
    of the release before the failure."""

    def __init__(self, message: str, done: str) -> None:
        super().__init__(message)
        self.done = done


def announce(
    summary: str, release: Release | None, names: list[str], *, destination: str, storage: Any
) -> str:
    """Send ``release_published`` and invalidate the changed paths in CloudFront; ``summary``
    and what to add to it. If either fails, raise AnnouncementFailed, saying the release is
    live, once both were tried."""
    if release is None:
        return summary
    paths = url_paths(names, str(settings.STATIC_URL or "/"))
    answers = release_published.send_robust(
        Collectsync, release=release, destination=destination, names=sorted(names), paths=paths
    )
    note = ""
    distribution = conf.CLOUDFRONT_DISTRIBUTION
    if distribution and paths:
        try:
            sent = invalidate(
                distribution,
                paths,
                reference=f"collectsync {release.number} {release.time} {destination}",
                storage=storage,
                release=release.number,
            )
        except DeployError as error:
            raise AnnouncementFailed(str(error), summary) from error
        wildcards = sum(1 for path in sent if path.endswith("*"))
        shown = f"{len(sent)} path{'s' if len(sent) != 1 else ''}"
        shown += f" ({wildcards} wildcard{'s' if wildcards != 1 else ''})" if wildcards else ""
        note = f"\nCloudFront distribution '{distribution}': {shown} invalidated."
    failed = [(receiver, answer) for receiver, answer in answers if isinstance(answer, Exception)]
    if failed:
        receiver, raised = failed[0]
        name = getattr(receiver, "__qualname__", repr(receiver))
        raise AnnouncementFailed(
            f"Release {release.number} is live, but the receiver {name} of "
            f"collectsync.signals.release_published failed ({raised!r}); fix it and tell the "
            "CDN by hand this once.",
            summary + note,
        ) from raised
    return summary + note
