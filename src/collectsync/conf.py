"""collectsync's settings, each read when used so that ``override_settings`` works."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULT_LOCAL_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
MUTABLE_CACHE_CONTROL = "public, max-age=300"


class Settings:
    @property
    def ENABLED(self) -> bool:
        return bool(getattr(settings, "COLLECTSYNC_ENABLED", True))

    @property
    def LOCAL_STORAGE(self) -> str:
        """Dotted path of the storage that stages files in a temp dir."""
        return str(getattr(settings, "COLLECTSYNC_LOCAL_STORAGE", DEFAULT_LOCAL_STORAGE))

    @property
    def LOCAL_STORAGE_OPTIONS(self) -> dict[str, Any]:
        return dict(getattr(settings, "COLLECTSYNC_LOCAL_STORAGE_OPTIONS", {}))

    @property
    def STAGING_ROOT(self) -> str | None:
        """Folder to make the staging dir in; None: the system's temp dir (TMPDIR)."""
        value = getattr(settings, "COLLECTSYNC_STAGING_ROOT", None)
        return None if value is None else str(value)

    @property
    def INDEX_NAME(self) -> str:
        """Name, inside the remote storage, of collectsync's record of what is there."""
        return str(getattr(settings, "COLLECTSYNC_INDEX_NAME", ".collectsync-index.json"))

    @property
    def RELEASE_NAME(self) -> str | None:
        """What each release record calls the deploy, unless --release-name says: the
        setting, else the environment variable of the same name (a CI job's)."""
        value = getattr(settings, "COLLECTSYNC_RELEASE_NAME", None)
        if value is None:
            value = os.environ.get("COLLECTSYNC_RELEASE_NAME") or None
        return None if value is None else str(value)

    @property
    def CLOUDFRONT_DISTRIBUTION(self) -> str | None:
        """The CloudFront distribution to tell which unhashed paths each release changed."""
        value = getattr(settings, "COLLECTSYNC_CLOUDFRONT_DISTRIBUTION", None)
        return None if not value else str(value)

    @property
    def IMMUTABLE_CACHE_CONTROL(self) -> str | None:
        """Cache-Control for hashed names, whose content never changes under the same name."""
        value = getattr(settings, "COLLECTSYNC_IMMUTABLE_CACHE_CONTROL", IMMUTABLE_CACHE_CONTROL)
        return None if value is None else str(value)

    @property
    def MUTABLE_CACHE_CONTROL(self) -> str | None:
        """Cache-Control for unhashed names and the manifest, which change between deploys."""
        value = getattr(settings, "COLLECTSYNC_MUTABLE_CACHE_CONTROL", MUTABLE_CACHE_CONTROL)
        return None if value is None else str(value)

    @property
    def MAX_ATTEMPTS(self) -> int:
        """Attempts per S3 request, unless the storage configures retries itself."""
        return int(getattr(settings, "COLLECTSYNC_MAX_ATTEMPTS", 5))

    @property
    def RETRY_DEADLINE(self) -> float:
        """Seconds after its first failure that a file whose upload failed on something
        that passes (throttling, 5xx, timeouts) is still retried in later rounds."""
        return float(getattr(settings, "COLLECTSYNC_RETRY_DEADLINE", 600))

    @property
    def LOST_AFTER(self) -> float:
        """Seconds without any successful request, while requests fail, after which the
        connection counts as lost and the deploy stops."""
        return float(getattr(settings, "COLLECTSYNC_LOST_AFTER", 60))

    @property
    def CONNECT_TIMEOUT(self) -> float:
        """Seconds to wait for a connection, unless the storage's client config says."""
        return float(getattr(settings, "COLLECTSYNC_CONNECT_TIMEOUT", 5))

    @property
    def READ_TIMEOUT(self) -> float:
        """Seconds a request may go without a byte moving, unless the storage's client
        config says."""
        return float(getattr(settings, "COLLECTSYNC_READ_TIMEOUT", 20))

    @property
    def KEEP_RELEASES(self) -> int:
        """How many recent releases' files --prune keeps (the live one included); read from
        COLLECTSYNC_KEEP_DEPLOYS, its earlier name, where only that is set."""
        earlier = getattr(settings, "COLLECTSYNC_KEEP_DEPLOYS", 2)
        return int(getattr(settings, "COLLECTSYNC_KEEP_RELEASES", earlier))

    @property
    def WORKERS(self) -> int:
        return int(getattr(settings, "COLLECTSYNC_WORKERS", 16))


conf = Settings()
