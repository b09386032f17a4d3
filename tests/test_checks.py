from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import pytest
from django.core.checks import Error, Warning
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from collectsync.checks import (
    check_app_order,
    check_cloudfront,
    check_counts,
    check_local_storage,
    check_remote_is_manifest_based,
    check_renamed,
    check_seconds,
)
from collectsync.conf import conf
from tests.support.project import s3_storages

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def test_default_configuration_passes() -> None:
    assert check_app_order(None) == []
    assert check_local_storage(None) == []
    assert check_remote_is_manifest_based(None) == []
    assert check_counts(None) == []


def test_collectsync_after_staticfiles_is_an_error(settings: SettingsWrapper) -> None:
    settings.INSTALLED_APPS = ["django.contrib.staticfiles", "collectsync"]

    assert [e.id for e in check_app_order(None)] == ["collectsync.E001"]
    with pytest.raises(SystemCheckError, match=r"collectsync\.E001"):
        call_command("check")


def test_an_unimportable_local_storage_is_an_error(settings: SettingsWrapper) -> None:
    settings.COLLECTSYNC_LOCAL_STORAGE = "missing_package.Storage"

    errors = check_local_storage(None)

    assert errors == [
        Error(
            "COLLECTSYNC_LOCAL_STORAGE 'missing_package.Storage' can't be imported: "
            "No module named 'missing_package'.",
            hint="Install it (for the default: pip install 'whitenoise[brotli]') "
            "or point COLLECTSYNC_LOCAL_STORAGE at an installed storage.",
            id="collectsync.E002",
        )
    ]
    with pytest.raises(SystemCheckError, match=r"collectsync\.E002"):
        call_command("check")


def test_a_remote_without_manifest_is_a_warning(settings: SettingsWrapper) -> None:
    settings.STORAGES = s3_storages("any-bucket", backend="storages.backends.s3.S3StaticStorage")

    warnings = check_remote_is_manifest_based(None)

    assert [(type(w), w.id) for w in warnings] == [(Warning, "collectsync.W001")]


def test_an_unimportable_remote_is_left_to_the_command(settings: SettingsWrapper) -> None:
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "missing_pkg.Storage"}}

    assert check_remote_is_manifest_based(None) == []


@pytest.mark.parametrize("value", [0, -2, "many"])
def test_a_count_below_one_is_an_error(settings: SettingsWrapper, value: object) -> None:
    settings.COLLECTSYNC_KEEP_RELEASES = value

    errors = check_counts(None)

    assert [(e.id, e.msg) for e in errors] == [
        ("collectsync.E003", "COLLECTSYNC_KEEP_RELEASES must be a whole number of at least 1.")
    ]
    with pytest.raises(SystemCheckError, match=r"collectsync\.E003"):
        call_command("check")


@pytest.mark.parametrize("value", [0, -1.5, "soon"])
def test_seconds_that_are_not_positive_are_an_error(
    settings: SettingsWrapper, value: object
) -> None:
    settings.COLLECTSYNC_LOST_AFTER = value

    errors = check_seconds(None)

    assert [(e.id, e.msg) for e in errors] == [
        ("collectsync.E004", "COLLECTSYNC_LOST_AFTER must be a number of seconds greater than 0.")
    ]
    with pytest.raises(SystemCheckError, match=r"collectsync\.E004"):
        call_command("check")


def test_a_cloudfront_distribution_without_boto3_is_an_error_before_any_deploy(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_cloudfront(None) == []
    settings.COLLECTSYNC_CLOUDFRONT_DISTRIBUTION = "E123"
    assert check_cloudfront(None) == []  # boto3 is installed here
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "boto3" else real(name, *a)
    )

    assert check_cloudfront(None) == [
        Error(
            "COLLECTSYNC_CLOUDFRONT_DISTRIBUTION is set, but boto3 is not installed.",
            hint='Install "django-collectsync[cloudfront]" (or boto3) where you deploy, or '
            "remove the setting.",
            id="collectsync.E005",
        )
    ]


def test_the_earlier_name_of_keep_releases_works_with_a_warning(
    settings: SettingsWrapper,
) -> None:
    assert check_renamed(None) == []
    settings.COLLECTSYNC_KEEP_DEPLOYS = 5

    assert conf.KEEP_RELEASES == 5
    assert [(w.id, w.msg) for w in check_renamed(None)] == [
        (
            "collectsync.W002",
            "COLLECTSYNC_KEEP_DEPLOYS is now called COLLECTSYNC_KEEP_RELEASES: --prune keeps "
            "releases (a rollback is one too).",
        )
    ]
    settings.COLLECTSYNC_KEEP_RELEASES = 3
    assert conf.KEEP_RELEASES == 3
