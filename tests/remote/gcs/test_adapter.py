"""The Google Cloud Storage remote against the emulator: one request per upload, listings that
carry MD5s, and the storage's own settings."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.core.management.base import CommandError
from google.cloud import storage as gcs

from collectsync.files import Entry
from collectsync.index.sync_index import SyncIndex
from scripts.faults.gcs_service import GenerationPreconditions
from scripts.faults.proxy import Action, Decide, FaultProxy
from tests.settings import GCS_ENDPOINT
from tests.support.differential import differential_run
from tests.support.emulated import (
    ANONYMOUS,
    IMMUTABLE,
    Emulated,
    assert_requests,
    google_bucket,
    requests_by_method,
    stock,
    uploaded,
)
from tests.support.project import INDEX_KEY, run_command

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.fixture
def bucket(static_source: Path, settings: SettingsWrapper) -> Iterator[Emulated]:
    with google_bucket() as emulated:
        settings.STATICFILES_DIRS = [str(static_source)]
        settings.STORAGES = emulated.storages(location="static")
        yield emulated


@contextmanager
def through_proxy(monkeypatch: pytest.MonkeyPatch, decide: Decide) -> Iterator[FaultProxy]:
    """Every request to the emulator through the fault proxy, Cloud Storage's preconditions
    played by it (gcs_service.py)."""
    endpoint = urlsplit(GCS_ENDPOINT)
    assert endpoint.hostname is not None
    assert endpoint.port is not None
    service = GenerationPreconditions(endpoint.hostname, endpoint.port)
    proxy = FaultProxy(endpoint.hostname, endpoint.port, decide, service)
    with proxy.running():
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.endpoint)
        yield proxy


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    with through_proxy(monkeypatch, lambda *_: "pass") as proxy:
        yield proxy


def client() -> gcs.Client:
    """Another tool's client, straight to the emulator."""
    return gcs.Client(
        project="test", credentials=ANONYMOUS, client_options={"api_endpoint": GCS_ENDPOINT}
    )


def test_one_request_per_upload_and_one_when_nothing_changed(
    bucket: Emulated, settings: SettingsWrapper, tmp_path: Path, counted: FaultProxy
) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    run_command("--noinput", "--json-report", str(first))

    deployed = requests_by_method(counted.attempts)
    expected = stock(settings, tmp_path / "stock")
    assert {key: bucket.read(key) for key in expected} == expected
    # The index, a listing of the empty bucket and the record of a failed deploy read; then
    # one POST per object, and the index.
    assert_requests(deployed, first, {"GET": 3, "POST": len(expected) + 1})

    counted.attempts.clear()
    run_command("--noinput", "--json-report", str(second))

    assert_requests(requests_by_method(counted.attempts), second, {"GET": 1})


def test_headers_follow_the_cache_policy_and_the_storages_own_parameters(
    bucket: Emulated, settings: SettingsWrapper
) -> None:
    run_command("--noinput")

    blobs = {blob.name: blob for blob in client().list_blobs(bucket.name)}
    manifest = blobs["static/staticfiles.json"]
    hashed = next(
        blob for name, blob in blobs.items() if name.endswith(".css.br") and name.count(".") == 3
    )
    assert (hashed.content_type, hashed.content_encoding, hashed.cache_control) == (
        "text/css",
        "br",
        IMMUTABLE,
    )
    assert manifest.cache_control == "public, max-age=300"
    assert blobs["static/css/site.css.gz"].content_encoding == "gzip"

    settings.STORAGES = bucket.storages(
        location="static", object_parameters={"cache_control": "no-cache"}
    )
    run_command("--noinput", "--force-sync")

    assert {blob.cache_control for blob in client().list_blobs(bucket.name)} - {None} == {
        "no-cache"
    }


def test_taking_over_a_bucket_uploads_only_what_is_missing_or_different(
    bucket: Emulated, settings: SettingsWrapper, tmp_path: Path, counted: FaultProxy
) -> None:
    expected = stock(settings, tmp_path / "stock")
    missing, altered = "static/js/app.js", "static/css/theme.css"
    other_tool = client().bucket(bucket.name)
    for key, data in expected.items():
        if key != missing:
            other_tool.blob(key).upload_from_string(
                data.replace(b"margin", b"MARGIN") if key == altered else data
            )
    counted.attempts.clear()

    report = tmp_path / "report.json"
    out, _ = run_command("--noinput", "--verbosity", "2", "--json-report", str(report))

    deployed = requests_by_method(counted.attempts)
    assert uploaded(out) == {"js/app.js", "css/theme.css"}
    assert {key: bucket.read(key) for key in expected} == expected
    assert_requests(deployed, report, {"GET": 3, "POST": 3})


def test_verify_reuploads_what_was_altered_behind_its_back(
    bucket: Emulated, settings: SettingsWrapper, tmp_path: Path
) -> None:
    run_command("--noinput")
    expected = stock(settings, tmp_path / "stock")
    altered = "static/css/site.css"
    client().bucket(bucket.name).blob(altered).upload_from_string(b"/* not what was staged */")

    out, _ = run_command("--noinput", "--verify", "--verbosity", "2")

    assert "Uploaded 'css/site.css'" in out
    assert sum(line.startswith("Uploaded '") for line in out.splitlines()) == 1
    assert bucket.read(altered) == expected[altered]


def test_a_concurrent_deploy_is_merged_not_overwritten(
    bucket: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = SyncIndex({"theirs.css": Entry("1" * 32, 2)}, release_number=1)
    uploads = itertools.count(1)

    def another_deploy_writes_its_index(method: str, key: str, attempt: int) -> Action:
        if method == "POST" and next(uploads) == 3:
            client().bucket(bucket.name).blob(INDEX_KEY).upload_from_string(theirs.to_bytes())
        return "pass"

    with through_proxy(monkeypatch, another_deploy_writes_its_index) as proxy:
        _, err = run_command("--noinput")

    assert "Another deploy updated the sync index in" in err
    assert ("POST", INDEX_KEY) in proxy.refused
    written = SyncIndex.from_bytes(bucket.read(INDEX_KEY))
    assert {"theirs.css", "css/theme.css"} <= set(written.files)
    assert written.release_number == 2


def test_throttling_and_server_errors_are_retried(
    bucket: Emulated, settings: SettingsWrapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = itertools.count(1)

    def refuse_some(method: str, key: str, attempt: int) -> Action:
        return "503" if method == "POST" and next(uploads) in (2, 5, 9) else "pass"

    with through_proxy(monkeypatch, refuse_some) as proxy:
        out, _ = run_command("--noinput")

    assert [action for _, _, action in proxy.faults] == ["503"] * 3
    expected = stock(settings, tmp_path / "stock")
    assert {key: bucket.read(key) for key in expected} == expected
    assert "requests retried" in out


def test_a_storage_without_a_bucket_or_credentials_is_one_sentence(
    bucket: Emulated, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings.STORAGES = bucket.storages(location="static", bucket_name=None)
    with pytest.raises(CommandError) as caught:
        run_command("--noinput")
    assert str(caught.value) == (
        "The staticfiles storage names no Google Cloud Storage bucket; set GS_BUCKET_NAME "
        "(or the storage's bucket_name option)."
    )

    # No emulator, and credentials that name a file that isn't there: found nowhere.
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    settings.STORAGES = bucket.storages(location="static", credentials=None)
    with pytest.raises(CommandError) as caught:
        run_command("--noinput")
    assert str(caught.value) == (
        f"No Google Cloud credentials were found for bucket '{bucket.name}'; set "
        "GS_CREDENTIALS (or the storage's credentials) or GOOGLE_APPLICATION_CREDENTIALS."
    )


def test_random_edits_deploy_what_a_full_collect_writes(
    bucket: Emulated,
    settings: SettingsWrapper,
    static_source: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    steps = int(request.config.getoption("--differential-steps"))
    differential_run(bucket.deployed(static_source), settings, tmp_path, seed=4, steps=steps)


def test_denied_access_and_a_dead_endpoint_are_one_sentence(
    bucket: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    with through_proxy(monkeypatch, lambda *_: "403"), pytest.raises(CommandError) as caught:
        run_command("--noinput")
    assert str(caught.value).startswith(
        f"Access to bucket '{bucket.name}' was denied for '{INDEX_KEY}' ("
    )
    assert str(caught.value).endswith(
        "); check GS_CREDENTIALS (or GOOGLE_APPLICATION_CREDENTIALS) and the bucket's permissions."
    )

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(CommandError) as caught:
        run_command("--noinput")
    assert str(caught.value).startswith(
        f"Could not reach Google Cloud Storage for '{INDEX_KEY}' in gs://{bucket.name}/static: "
    )
