"""Storages other than S3 against real emulators, through Django's storage API (any storage
without an adapter of its own) and through the Cloud Storage and Azure adapters."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from azure.storage.blob import ExponentialRetry
from django.core.files.storage import FileSystemStorage
from django.core.management.base import CommandError
from google.cloud.storage.blob import Blob

from collectsync.files import StagedFile
from collectsync.remote.generic.adapter import StorageRemote
from scripts.faults.proxy import Action, FaultProxy
from tests.settings import AZURITE_ENDPOINT, GCS_ENDPOINT
from tests.support.emulated import (
    AZURITE_CONNECTION,
    EMULATORS,
    Emulated,
    deploying_to,
    stock,
    uploaded,
)
from tests.support.project import CSS_RULES, INDEX_KEY, run_command, without_time
from tests.support.proxy import ROUNDS_BEFORE_LOST

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.fixture(params=[*EMULATORS, *(f"{name}-generic" for name in EMULATORS)])
def emulated(
    request: pytest.FixtureRequest,
    static_source: Path,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Emulated]:
    """A bucket or container, written through collectsync's adapter for it, or (generic)
    through the storage's public API, as any other Django storage is."""
    with deploying_to(str(request.param), static_source, settings, monkeypatch) as emulated:
        yield emulated


def test_a_deploy_writes_what_stock_whitenoise_would_and_a_rerun_nothing(
    emulated: Emulated, settings: SettingsWrapper, tmp_path: Path
) -> None:
    out, err = run_command("--noinput")

    expected = stock(settings, tmp_path / "stock")
    assert emulated.keys() == set(expected) | {INDEX_KEY}
    assert {key: emulated.read(key) for key in expected} == expected
    assert err == ""
    destination = emulated.destination("static")
    assert f"uploaded to '{destination}'" in out

    out, _ = run_command("--noinput")

    assert without_time(out).startswith(
        f"\nNothing changed since the last deploy to '{destination}'"
    )


# Not Azure's storage through its public API: django-storages' AzureStorage.listdir("") lists
# the whole container by full names, its location included, where Django's Storage contract
# wants the names under the location. Azure deploys go through collectsync's own adapter.
@pytest.mark.parametrize(
    "emulated",
    [*EMULATORS, *(f"{name}-generic" for name in EMULATORS if name != "azure")],
    indirect=True,
)
def test_one_changed_file_uploads_exactly_its_objects_and_clear_removes_the_old(
    emulated: Emulated, settings: SettingsWrapper, tmp_path: Path, static_source: Path
) -> None:
    run_command("--noinput")
    before = stock(settings, tmp_path / "before")
    (static_source / "css/theme.css").write_text("/* edited */\n" + CSS_RULES)
    after = stock(settings, tmp_path / "after")

    out, _ = run_command("--noinput", "--clear", "--verbosity", "2")

    changed = {key for key, data in after.items() if before.get(key) != data}
    assert len(changed) == 7  # 3 hashed and 3 unhashed theme.css variants, and the manifest
    assert {f"static/{name}" for name in uploaded(out)} == changed
    assert emulated.keys() == set(after) | {INDEX_KEY}
    # The copies of the manifest and the index; theme.css's old bytes were held by its
    # hashed name, one of the stale files.
    assert "3 stale files and 2 archived copies deleted; the files of this deploy were kept." in out


def test_a_missing_bucket_is_one_sentence(emulated: Emulated, settings: SettingsWrapper) -> None:
    settings.STORAGES = emulated.storages(
        location="static", **{emulated.container_option: "missing-x"}
    )

    with pytest.raises(CommandError) as raised:
        run_command("--noinput")

    message = str(raised.value)
    assert "\n" not in message
    # Through the storage's public API, the storage is named, not a bucket it may not have.
    assert emulated.destination("static", name="missing-x") in message


def test_variants_the_new_bytes_lack_are_deleted_before_the_name_is_overwritten(
    emulated: Emulated, settings: SettingsWrapper, tmp_path: Path, static_source: Path
) -> None:
    big = static_source / "css/big.css"
    big.write_text(".a{color:red}\n" * 300)
    run_command("--noinput")
    before = stock(settings, tmp_path / "before")
    big.write_text("/*410431699e297d3312e4de26*/")  # too short for Whitenoise to compress
    after = stock(settings, tmp_path / "after")

    out, _ = run_command("--noinput", "--verbosity", "2")

    assert {"static/css/big.css.br", "static/css/big.css.gz"} <= set(before) - set(after)
    assert [line for line in out.splitlines() if line.startswith("Deleted")] == [
        "Deleted 'css/big.css.br'",
        "Deleted 'css/big.css.gz'",
    ]
    remote_keys = emulated.keys()
    unhashed = {key for key in remote_keys if key.startswith("static/css/big.css")}
    assert unhashed == {"static/css/big.css"}
    assert {key: emulated.read(key) for key in after} == after


def test_a_filesystem_manifest_storage_is_replaced_in_place(tmp_path: Path) -> None:
    remote = StorageRemote(FileSystemStorage(location=str(tmp_path)))
    (tmp_path / "staticfiles.json").write_text("old")
    source = tmp_path / "new.json"
    source.write_text("new")

    remote.write(StagedFile("staticfiles.json", source, md5="unused", size=3))

    assert remote.read("staticfiles.json") == b"new"
    assert remote.read("missing.json") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.json", "staticfiles.json"]
    assert remote.destination == str(tmp_path)


def test_a_dead_network_stops_the_deploy_after_a_few_attempts(
    emulated: Emulated,
    settings: SettingsWrapper,
    static_source: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for i in range(100):
        (static_source / f"css/page{i:03}.css").write_text(f"/* page {i} */\n{CSS_RULES}")
    settings.COLLECTSYNC_WORKERS = 4
    settings.COLLECTSYNC_LOST_AFTER = 1
    writes = itertools.count(1)

    def cut_after_ten_writes(method: str, key: str, attempt: int) -> Action:
        if method not in ("PUT", "POST"):
            return "pass"
        return "pass" if next(writes) <= 10 else "reset"

    endpoint = urlsplit(GCS_ENDPOINT if emulated.scheme == "gs" else AZURITE_ENDPOINT)
    assert endpoint.hostname is not None
    assert endpoint.port is not None
    proxy = FaultProxy(endpoint.hostname, endpoint.port, cut_after_ten_writes)
    with proxy.running():
        if emulated.scheme == "gs":
            monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.endpoint)
            # Google's client retries each upload for up to 120 s itself, with no setting
            # for it: without, collectsync retries (as it would after those 120 s).
            upload = Blob._prep_and_do_upload

            def upload_once(blob: Blob, *args: Any, **kwargs: Any) -> Any:
                return upload(blob, *args, **{**kwargs, "retry": None})

            monkeypatch.setattr(Blob, "_prep_and_do_upload", upload_once)
        else:
            through = AZURITE_CONNECTION.replace(AZURITE_ENDPOINT, proxy.endpoint)
            settings.STORAGES = emulated.storages(location="static", connection_string=through)
            # Azure's client retries each request for about a minute (django-storages passes
            # no client options with a connection string): once here.
            retry_init = ExponentialRetry.__init__

            def retry_once(policy: ExponentialRetry, **kwargs: Any) -> None:
                retry_init(policy, **{**kwargs, "retry_total": 0})

            monkeypatch.setattr(ExponentialRetry, "__init__", retry_once)
        with pytest.raises(CommandError) as caught:
            run_command("--noinput")

    assert caught.match(
        rf"^Lost the connection to {re.escape(emulated.destination('static'))}: no request got "
        r"through for \d+ s, the last failed with: [^\n]+\. Nothing was switched: rerun once "
        r"the connection is back\.$"
    )
    # How many files fail in the second before the connection counts as lost depends on the
    # machine; each file's rounds don't (see ROUNDS_BEFORE_LOST).
    assert proxy.faults
    assert max(Counter(key for _, key, _ in proxy.faults).values()) <= ROUNDS_BEFORE_LOST
    assert INDEX_KEY not in set(emulated.keys())
