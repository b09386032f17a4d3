"""The Azure Blob remote against Azurite: one request per upload, listings that carry MD5s,
conditional writes of the index, and the storage's own settings."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient
from django.core.management.base import CommandError

from collectsync.files import Entry
from collectsync.index.sync_index import SyncIndex
from scripts.faults.proxy import Action, Decide, FaultProxy
from tests.settings import AZURITE_ENDPOINT
from tests.support.differential import differential_run
from tests.support.emulated import (
    AZURITE_CONNECTION,
    IMMUTABLE,
    Emulated,
    assert_requests,
    azure_container,
    requests_by_method,
    stock,
    uploaded,
)
from tests.support.project import INDEX_KEY, run_command

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.fixture
def container(static_source: Path, settings: SettingsWrapper) -> Iterator[Emulated]:
    with azure_container() as emulated:
        settings.STATICFILES_DIRS = [str(static_source)]
        settings.STORAGES = emulated.storages(location="static")
        yield emulated


@contextmanager
def through_proxy(
    container: Emulated, settings: SettingsWrapper, decide: Decide
) -> Iterator[FaultProxy]:
    """Every request to Azurite through the fault proxy."""
    endpoint = urlsplit(AZURITE_ENDPOINT)
    assert endpoint.hostname is not None
    assert endpoint.port is not None
    proxy = FaultProxy(endpoint.hostname, endpoint.port, decide)
    with proxy.running():
        through = AZURITE_CONNECTION.replace(AZURITE_ENDPOINT, proxy.endpoint)
        settings.STORAGES = container.storages(location="static", connection_string=through)
        yield proxy


def other_tool(container: Emulated) -> ContainerClient:
    """Another tool's client, straight to Azurite."""
    service = BlobServiceClient.from_connection_string(AZURITE_CONNECTION)
    return service.get_container_client(container.name)


def test_one_request_per_upload_and_one_when_nothing_changed(
    container: Emulated, settings: SettingsWrapper, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    with through_proxy(container, settings, lambda *_: "pass") as proxy:
        run_command("--noinput", "--json-report", str(first))
        deployed = requests_by_method(proxy.attempts)
        proxy.attempts.clear()
        run_command("--noinput", "--json-report", str(second))
        unchanged = requests_by_method(proxy.attempts)

    expected = stock(settings, tmp_path / "stock")
    assert {key: container.read(key) for key in expected} == expected
    # The index, a listing of the empty container and the record of a failed deploy read;
    # then one Put Blob per object, and the index.
    assert_requests(deployed, first, {"GET": 3, "PUT": len(expected) + 1})
    assert_requests(unchanged, second, {"GET": 1})


def test_headers_follow_the_cache_policy_and_the_storages_own_settings(
    container: Emulated, settings: SettingsWrapper
) -> None:
    run_command("--noinput")

    blobs = {blob.name: blob for blob in other_tool(container).list_blobs()}
    hashed = next(b for n, b in blobs.items() if n.endswith(".css.br") and n.count(".") == 3)
    assert (
        hashed.content_settings.content_type,
        hashed.content_settings.content_encoding,
        hashed.content_settings.cache_control,
    ) == ("text/css", "br", IMMUTABLE)
    assert blobs["static/staticfiles.json"].content_settings.cache_control == "public, max-age=300"
    assert blobs["static/css/site.css.gz"].content_settings.content_encoding == "gzip"

    settings.STORAGES = container.storages(location="static", cache_control="no-cache")
    run_command("--noinput", "--force-sync")

    controls = {blob.content_settings.cache_control for blob in other_tool(container).list_blobs()}
    assert controls - {None} == {"no-cache"}


def test_taking_over_a_container_uploads_only_what_is_missing_or_different(
    container: Emulated, settings: SettingsWrapper, tmp_path: Path
) -> None:
    expected = stock(settings, tmp_path / "stock")
    missing, altered = "static/js/app.js", "static/css/theme.css"
    other = other_tool(container)
    for key, data in expected.items():
        if key != missing:
            edited = data.replace(b"margin", b"MARGIN") if key == altered else data
            other.upload_blob(key, edited)  # one Put Blob: Azure keeps its MD5

    report = tmp_path / "report.json"
    with through_proxy(container, settings, lambda *_: "pass") as proxy:
        out, _ = run_command("--noinput", "--verbosity", "2", "--json-report", str(report))

    assert uploaded(out) == {"js/app.js", "css/theme.css"}
    assert {key: container.read(key) for key in expected} == expected
    assert_requests(requests_by_method(proxy.attempts), report, {"GET": 3, "PUT": 3})


def test_verify_reuploads_what_was_altered_behind_its_back(
    container: Emulated, settings: SettingsWrapper, tmp_path: Path
) -> None:
    run_command("--noinput")
    expected = stock(settings, tmp_path / "stock")
    altered = "static/css/site.css"
    other_tool(container).upload_blob(altered, b"/* not what was staged */", overwrite=True)

    out, _ = run_command("--noinput", "--verify", "--verbosity", "2")

    assert uploaded(out) == {"css/site.css"}
    assert container.read(altered) == expected[altered]


def test_a_concurrent_deploy_is_merged_not_overwritten(
    container: Emulated, settings: SettingsWrapper
) -> None:
    theirs = SyncIndex({"theirs.css": Entry("1" * 32, 2)}, release_number=1)
    puts = itertools.count(1)

    def another_deploy_writes_its_index(method: str, key: str, attempt: int) -> Action:
        if method == "PUT" and next(puts) == 3:
            other_tool(container).upload_blob(INDEX_KEY, theirs.to_bytes())
        return "pass"

    with through_proxy(container, settings, another_deploy_writes_its_index):
        _, err = run_command("--noinput")

    assert "Another deploy updated the sync index in" in err
    written = SyncIndex.from_bytes(container.read(INDEX_KEY))
    assert {"theirs.css", "css/theme.css"} <= set(written.files)
    assert written.release_number == 2


def test_throttling_is_retried(
    container: Emulated, settings: SettingsWrapper, tmp_path: Path
) -> None:
    puts = itertools.count(1)

    def refuse_some(method: str, key: str, attempt: int) -> Action:
        return "503" if method == "PUT" and next(puts) in (2, 5, 9) else "pass"

    with through_proxy(container, settings, refuse_some) as proxy:
        out, _ = run_command("--noinput")

    assert [action for _, _, action in proxy.faults] == ["503"] * 3
    expected = stock(settings, tmp_path / "stock")
    assert {key: container.read(key) for key in expected} == expected
    assert "requests retried" in out


def test_bad_settings_are_one_sentence(container: Emulated, settings: SettingsWrapper) -> None:
    cases: list[tuple[dict[str, str | None], str]] = [
        (
            {"azure_container": None},
            "The staticfiles storage names no Azure container; set AZURE_CONTAINER (or the "
            "storage's azure_container option).",
        ),
        (
            {"connection_string": None},
            f"The Azure storage of container '{container.name}' names no account; set "
            "AZURE_CONNECTION_STRING, or AZURE_ACCOUNT_NAME with AZURE_ACCOUNT_KEY, "
            "AZURE_SAS_TOKEN or AZURE_TOKEN_CREDENTIAL.",
        ),
        (
            {"azure_container": "missing-x"},
            "The container 'missing-x' does not exist (azure://missing-x/static); create it or "
            "fix AZURE_CONTAINER (or the storage's azure_container).",
        ),
        (
            {"connection_string": AZURITE_CONNECTION.replace("AccountKey=Eby8", "AccountKey=Xby8")},
            f"Access to container '{container.name}' was denied for '{INDEX_KEY}' "
            "(AuthorizationFailure); check AZURE_CONNECTION_STRING, or AZURE_ACCOUNT_KEY, "
            "AZURE_SAS_TOKEN or AZURE_TOKEN_CREDENTIAL (or the storage's options of those names).",
        ),
    ]
    for options, sentence in cases:
        settings.STORAGES = container.storages(location="static", **options)
        with pytest.raises(CommandError) as caught:
            run_command("--noinput")
        assert str(caught.value) == sentence


def test_random_edits_deploy_what_a_full_collect_writes(
    container: Emulated,
    settings: SettingsWrapper,
    static_source: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    steps = int(request.config.getoption("--differential-steps"))
    differential_run(container.deployed(static_source), settings, tmp_path, seed=4, steps=steps)


def test_a_dead_endpoint_is_one_sentence(container: Emulated, settings: SettingsWrapper) -> None:
    nowhere = AZURITE_CONNECTION.replace(AZURITE_ENDPOINT, "http://127.0.0.1:9")
    settings.STORAGES = container.storages(location="static", connection_string=nowhere)

    with pytest.raises(CommandError) as caught:
        run_command("--noinput")

    assert str(caught.value).startswith(
        f"Could not reach Azure Blob for '{INDEX_KEY}' in azure://{container.name}/static: "
    )
