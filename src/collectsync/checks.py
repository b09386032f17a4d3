"""System checks: collectsync's configuration mistakes, caught before a deploy runs."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from collectsync.conf import conf
from collectsync.remote.dispatch import configured_backend, is_local_backend


@register(Tags.staticfiles)
def check_app_order(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    names = [config.name for config in apps.get_app_configs()]
    staticfiles = "django.contrib.staticfiles"
    if staticfiles in names and names.index("collectsync") > names.index(staticfiles):
        return [
            Error(
                "collectsync is listed after django.contrib.staticfiles in INSTALLED_APPS, "
                "so Django's own collectstatic runs instead of collectsync's.",
                hint="Move 'collectsync' above 'django.contrib.staticfiles'.",
                id="collectsync.E001",
            )
        ]
    return []


@register(Tags.staticfiles)
def check_local_storage(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        import_string(conf.LOCAL_STORAGE)
    except ImportError as error:
        return [
            Error(
                f"COLLECTSYNC_LOCAL_STORAGE '{conf.LOCAL_STORAGE}' can't be imported: {error}.",
                hint="Install it (for the default: pip install 'whitenoise[brotli]') "
                "or point COLLECTSYNC_LOCAL_STORAGE at an installed storage.",
                id="collectsync.E002",
            )
        ]
    return []


@register(Tags.staticfiles)
def check_remote_is_manifest_based(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    backend = configured_backend()
    try:
        storage_class = import_string(backend["BACKEND"])
    except ImportError:
        return []  # collectstatic says so in one sentence; there is nothing to warn about here
    if is_local_backend(backend) or issubclass(storage_class, ManifestFilesMixin):
        return []
    return [
        Warning(
            f"The staticfiles storage '{backend['BACKEND']}' is not manifest-based: "
            "collectsync uploads hashed names, but the site will not use them.",
            hint="Use storages.backends.s3.S3ManifestStaticStorage (or another "
            "ManifestFilesMixin storage) so pages link to the hashed, cacheable names.",
            id="collectsync.W001",
        )
    ]


@register(Tags.staticfiles)
def check_counts(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for setting in ("WORKERS", "KEEP_RELEASES", "MAX_ATTEMPTS"):
        try:
            value = getattr(conf, setting)
        except (TypeError, ValueError):
            value = None
        if value is None or value < 1:
            errors.append(
                Error(
                    f"COLLECTSYNC_{setting} must be a whole number of at least 1.",
                    hint=f"Set COLLECTSYNC_{setting} to 1 or more, or remove it for the default.",
                    id="collectsync.E003",
                )
            )
    return errors


@register(Tags.staticfiles)
def check_seconds(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for setting in ("RETRY_DEADLINE", "LOST_AFTER", "CONNECT_TIMEOUT", "READ_TIMEOUT"):
        try:
            value = getattr(conf, setting)
        except (TypeError, ValueError):
            value = None
        if value is None or not value > 0:
            errors.append(
                Error(
                    f"COLLECTSYNC_{setting} must be a number of seconds greater than 0.",
                    hint=f"Set COLLECTSYNC_{setting} to a positive number, or remove it for "
                    "the default.",
                    id="collectsync.E004",
                )
            )
    return errors


@register(Tags.staticfiles)
def check_cloudfront(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """A distribution to invalidate needs boto3 where collectstatic runs: said before any
    deploy, not once the release is live."""
    if not conf.CLOUDFRONT_DISTRIBUTION or importlib.util.find_spec("boto3") is not None:
        return []
    return [
        Error(
            "COLLECTSYNC_CLOUDFRONT_DISTRIBUTION is set, but boto3 is not installed.",
            hint='Install "django-collectsync[cloudfront]" (or boto3) where you deploy, or '
            "remove the setting.",
            id="collectsync.E005",
        )
    ]


@register(Tags.staticfiles)
def check_renamed(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Settings read under their earlier names still work, with a warning."""
    if not hasattr(settings, "COLLECTSYNC_KEEP_DEPLOYS"):
        return []
    return [
        Warning(
            "COLLECTSYNC_KEEP_DEPLOYS is now called COLLECTSYNC_KEEP_RELEASES: --prune "
            "keeps releases (a rollback is one too).",
            hint="Rename the setting to COLLECTSYNC_KEEP_RELEASES; "
            + (
                "it is set too, and wins."
                if hasattr(settings, "COLLECTSYNC_KEEP_RELEASES")
                else "its value is used meanwhile."
            ),
            id="collectsync.W002",
        )
    ]
