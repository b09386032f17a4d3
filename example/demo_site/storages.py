"""Manifest-based storages for Google Cloud Storage and Azure Blob, as docs/settings.md shows
them; the benchmark deploys to their emulators (scripts/benchmark/cloud.py)."""

from __future__ import annotations

from django.contrib.staticfiles.storage import ManifestFilesMixin
from storages.backends.azure_storage import AzureStorage
from storages.backends.gcloud import GoogleCloudStorage


class GoogleCloudManifestStorage(ManifestFilesMixin, GoogleCloudStorage):  # type: ignore[misc]
    pass


class AzureManifestStorage(ManifestFilesMixin, AzureStorage):  # type: ignore[misc]
    pass
