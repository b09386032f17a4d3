"""Throttling slows a deploy and never fails it; a dead network fails it fast. Against real
LocalStack, through the fault proxy."""

from __future__ import annotations

import itertools
import json
import zlib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management.base import CommandError

from scripts.faults.proxy import Action
from tests.support.project import (
    CSS_RULES,
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    Project,
    run_command,
    stock_whitenoise_tree,
)
from tests.support.proxy import ROUNDS_BEFORE_LOST, through_proxy

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

LOST = (
    r"Lost the connection to s3://{bucket}/static: no request got through for \d+ s, the "
    r"last failed with: {reason}\. Nothing was switched: rerun once the connection is back\."
)


def add_sources(project: Project, count: int) -> None:
    for i in range(count):
        path = project.source / f"more/page{i:03}.css"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"/* page {i} */\n{CSS_RULES}")


def test_a_slowdown_storm_slows_a_cold_deploy_and_never_fails_it(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    add_sources(project, 30)
    settings.COLLECTSYNC_MAX_ATTEMPTS = 2  # so that some files need later rounds
    stubborn = f"{LOCATION}/css/theme.css"

    def storm(method: str, key: str, attempt: int) -> Action:
        if key == stubborn and attempt <= 5:
            return "503"  # three rounds of two attempts
        # One request in five, the same ones on every run.
        return "503" if zlib.crc32(f"{method} {key} {attempt}".encode()) % 5 == 0 else "pass"

    report = tmp_path / "report.json"
    with through_proxy(project, storm) as proxy:
        out, _ = run_command("--noinput", "--json-report", str(report))

    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert project.object_keys() == {f"{LOCATION}/{name}" for name in expected} | {INDEX_KEY}
    assert {name: project.read(f"{LOCATION}/{name}") for name in expected} == expected
    assert proxy.attempts[("PUT", stubborn)] == 6
    throttling = json.loads(report.read_text())["throttling"]
    # Every refused request was tried again, once, by botocore or in a later round.
    assert throttling["requests_retried"] == len(proxy.faults)
    # Refusals that come whatever the load: lowered once, to see, never below the floor.
    assert 4 <= throttling["lowest_concurrency"] <= 8
    assert throttling["backoff_seconds"] > 0
    assert (
        f"The remote asked to slow down or failed for a moment: {len(proxy.faults)} requests "
        "retried after"
    ) in out


def test_throttling_that_depends_on_load_lowers_the_uploads_at_once(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    add_sources(project, 30)

    def more_than_five_at_once(method: str, key: str, attempt: int) -> Action:
        return "503" if proxy.in_flight > 5 else "pass"

    report = tmp_path / "report.json"
    with through_proxy(project, more_than_five_at_once) as proxy:
        run_command("--noinput", "--json-report", str(report))

    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert {name: project.read(f"{LOCATION}/{name}") for name in expected} == expected
    throttling = json.loads(report.read_text())["throttling"]
    assert throttling["requests_retried"] == len(proxy.faults)
    if proxy.faults:  # whether 16 workers ever met at the proxy is up to the machine
        assert 4 <= throttling["lowest_concurrency"] <= 8


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("reset", "Connection was closed before we received a valid response from endpoint URL"),
        ("stall", "Read timeout on endpoint URL"),  # a black hole
    ],
)
def test_a_dead_network_stops_the_deploy_after_a_few_attempts(
    project: Project, settings: SettingsWrapper, fault: Action, reason: str
) -> None:
    add_sources(project, 100)  # 400 objects or so
    settings.COLLECTSYNC_WORKERS = 4
    settings.COLLECTSYNC_MAX_ATTEMPTS = 2
    settings.COLLECTSYNC_LOST_AFTER = 1
    settings.COLLECTSYNC_READ_TIMEOUT = 0.5
    # The CRT's uploads (the crt extra) wait for both timeouts: less than the stall.
    settings.COLLECTSYNC_CONNECT_TIMEOUT = 0.5
    puts = itertools.count(1)

    def cut_after_ten_puts(method: str, key: str, attempt: int) -> Action:
        if method != "PUT":
            return "pass"
        return "pass" if next(puts) <= 10 else fault

    with through_proxy(project, cut_after_ten_puts) as proxy:
        proxy.stall_seconds = 2
        with pytest.raises(CommandError) as caught:
            run_command("--noinput")

    assert caught.match(LOST.format(bucket=project.bucket, reason=reason))
    # How many files fail in the second before the connection counts as lost depends on the
    # machine; each file's rounds don't: its pauses double from 0.25 s while nothing gets
    # through, so it gets a few rounds at most, not rounds until its deadline (10 minutes).
    assert proxy.faults
    assert max(Counter(key for _, key, _ in proxy.faults).values()) <= ROUNDS_BEFORE_LOST
    assert {MANIFEST_KEY, INDEX_KEY}.isdisjoint(project.object_keys())
