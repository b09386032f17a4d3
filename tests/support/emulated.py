"""Buckets in the Google Cloud Storage and Azure Blob emulators that scripts/emulators starts."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from azure.storage.blob import BlobServiceClient
from django.contrib.staticfiles.storage import ManifestFilesMixin
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs
from storages.backends.azure_storage import AzureStorage
from storages.backends.gcloud import GoogleCloudStorage

from collectsync.remote import dispatch
from tests.settings import AZURITE_ENDPOINT, GCS_ENDPOINT
from tests.support.project import LOCATION, stock_whitenoise_tree

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

IMMUTABLE = "public, max-age=31536000, immutable"
"""The cache policy of a file whose name carries its content's hash."""

AZURITE_CONNECTION = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    # Azurite's published development key, the same in every installation.
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw==;"
    f"BlobEndpoint={AZURITE_ENDPOINT}/devstoreaccount1;"
)


ANONYMOUS = AnonymousCredentials()  # type: ignore[no-untyped-call]


class GoogleCloudManifestStorage(ManifestFilesMixin, GoogleCloudStorage):  # type: ignore[misc]
    pass


class AzureManifestStorage(ManifestFilesMixin, AzureStorage):  # type: ignore[misc]
    pass


@dataclass(frozen=True)
class Emulated:
    """One empty bucket (or container) and how to point Django's STORAGES at it."""

    name: str
    scheme: str
    backend: str
    container_option: str
    """The storage option that names the bucket or container."""
    options: dict[str, Any]
    keys: Callable[[], set[str]]
    read: Callable[[str], bytes]

    generic: bool = False
    """Written through the storage's public API, as any other Django storage is."""

    def destination(self, location: str, name: str | None = None) -> str:
        """Where a deploy says it writes, into the bucket ``name`` (by default this one)."""
        if self.generic:
            return f"{self.backend.rsplit('.', 1)[1]}:{location}"
        return f"{self.scheme}://{name or self.name}/{location}"

    def through_storage_api(self) -> Emulated:
        """This bucket, written through the generic adapter: Azure's storage is told to
        overwrite, as a user of it would tell it (AZURE_OVERWRITE_FILES)."""
        options = {**self.options, "overwrite_files": True} if self.scheme == "azure" else {}
        return dataclasses.replace(self, generic=True, options=options or self.options)

    def deployed(self, source: Path) -> EmulatedProject:
        return EmulatedProject(self, source)

    def storages(self, **options: Any) -> dict[str, Any]:
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": self.backend,
                "OPTIONS": {self.container_option: self.name, **self.options, **options},
            },
        }


@dataclass(frozen=True)
class EmulatedProject:
    """A project deploying ``source`` into an emulated bucket, as the differential tests read
    it (conftest.Deployed)."""

    emulated: Emulated
    source: Path

    def object_keys(self) -> set[str]:
        return self.emulated.keys()

    def read(self, key: str) -> bytes:
        return self.emulated.read(key)


def unreachable(service: str, endpoint: str, error: Exception) -> None:
    pytest.fail(
        f"The {service} emulator is not reachable at {endpoint} ({error}); start it with "
        "`scripts/emulators start` or run the suite with `scripts/test`.",
        pytrace=False,
    )


@contextmanager
def google_bucket() -> Iterator[Emulated]:
    client = gcs.Client(project="test", credentials=ANONYMOUS)
    name = f"collectsync-test-{uuid.uuid4().hex[:12]}"
    try:
        bucket = client.create_bucket(name)
    except Exception as error:  # any failure to reach the emulator
        unreachable("Google Cloud Storage", GCS_ENDPOINT, error)
    try:
        yield Emulated(
            name,
            "gs",
            f"{__name__}.GoogleCloudManifestStorage",
            "bucket_name",
            {"project_id": "test", "credentials": ANONYMOUS},
            keys=lambda: {blob.name for blob in client.list_blobs(name)},
            read=lambda key: bucket.blob(key).download_as_bytes(),
        )
    finally:
        bucket.delete(force=True)


@contextmanager
def azure_container() -> Iterator[Emulated]:
    service = BlobServiceClient.from_connection_string(AZURITE_CONNECTION)
    name = f"collectsync-test-{uuid.uuid4().hex[:12]}"
    try:
        container = service.create_container(name)
    except Exception as error:  # any failure to reach the emulator
        unreachable("Azure Blob (Azurite)", AZURITE_ENDPOINT, error)
    try:
        yield Emulated(
            name,
            "azure",
            f"{__name__}.AzureManifestStorage",
            "azure_container",
            {"connection_string": AZURITE_CONNECTION},
            keys=lambda: set(container.list_blob_names()),
            read=lambda key: container.download_blob(key, decompress=False).readall(),
        )
    finally:
        container.delete_container()


EMULATORS: dict[str, Callable[[], AbstractContextManager[Emulated]]] = {
    "google": google_bucket,
    "azure": azure_container,
}
"""Every emulated remote, by name: the tests that run on each take them from here."""


def assert_requests(counts: dict[str, int], report: Path, expected: dict[str, int]) -> None:
    """The requests a deploy made, by method, are ``expected``; but for those it made again
    after one failed (an emulator that answered too late on a busy machine), which its JSON
    report counts."""
    retried = int(json.loads(report.read_text())["throttling"]["requests_retried"])
    assert set(counts) == set(expected)
    assert all(counts[method] >= expected[method] for method in expected)
    assert sum(counts.values()) == sum(expected.values()) + retried


def requests_by_method(attempts: Mapping[tuple[str, str], int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (method, _), seen in attempts.items():
        counts[method] = counts.get(method, 0) + seen
    return counts


def stock(settings: SettingsWrapper, root: Path) -> dict[str, bytes]:
    """A full Whitenoise collect of the project, keyed as the tests' storages keep it."""
    tree = stock_whitenoise_tree(settings, root)
    return {f"{LOCATION}/{name}": data for name, data in tree.items()}


def uploaded(output: str) -> set[str]:
    """The names ``-v 2`` says were uploaded."""
    prefix = "Uploaded '"
    return {line[len(prefix) : -1] for line in output.splitlines() if line.startswith(prefix)}


@contextmanager
def deploying_to(
    kind: str, static_source: Path, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Emulated]:
    """The project deploying ``static_source`` into a fresh remote of ``kind`` (a name in
    EMULATORS, or ``NAME-generic``: the same remote through the storage's public API, as any
    other Django storage is written)."""
    with EMULATORS[kind.removesuffix("-generic")]() as emulated:
        if kind.endswith("-generic"):
            monkeypatch.setattr(dispatch, "is_instance_of", lambda *_: False)
            emulated = emulated.through_storage_api()
        settings.STATICFILES_DIRS = [str(static_source)]
        settings.STORAGES = emulated.storages(location="static")
        yield emulated
