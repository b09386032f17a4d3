"""Every writing flow stopped at every phase, then every kind of next run: afterwards the bucket
serves, name by name, what a full Whitenoise collect of the live release writes.

Releases 1 and 2 are deployed first. Each flow (a deploy, a publish, a rollback, a deploy with
--prune) is rehearsed once to learn its writes in order; then, from the same bucket, it is
stopped before the first write of each phase (the content, the archive, the index naming what
it will overwrite, the deletions, the manifest, the index, the pruning) and before a write
drawn at random, either cut off there (nothing more reaches the bucket, as when the process is
killed or the network dies) or interrupted there by a real SIGINT (the run stops as Ctrl-C
stops it, and leaves its partial record). Each stopped bucket is then handed to each kind of
next run: a deploy of the live release's sources (the deploy that finds nothing changed), a
deploy of other sources, a publish, a rollback and a deploy with --prune.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management.base import CommandError

from collectsync.index.sync_index import SyncIndex
from scripts.faults.proxy import Action
from tests.support.project import (
    CSS_RULES,
    INDEX_KEY,
    LOCATION,
    Project,
    run_command,
    stock_whitenoise_tree,
    version_2,
    write_static_tree,
)
from tests.support.proxy import settle, through_proxy

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from pytest_django.fixtures import Settings as SettingsWrapper

WRITES = {"PUT", "POST", "DELETE"}
FLOWS = ["deploy", "publish", "rollback", "deploy-prune"]
NEXT_RUNS = ["deploy-live", "deploy-other", "publish", "rollback", "prune-live"]
MADE_OF = {"deploy": "v3", "deploy-prune": "v3", "publish": "v3", "deploy-other": "v4"}
"""The sources each kind of run deploys; the others, the live release's."""


def write_versions(root: Path) -> dict[str, Path]:
    """Four trees of sources: v2 edits, adds and removes files of v1 (one loses its variants,
    one gains some, a referenced image changes); v3 and v4 each edit v2 differently."""
    v1 = write_static_tree(root / "v1")
    (v1 / "robots.txt").write_text("User-agent: *\nDisallow: /v1/\n")
    (v1 / "css/print.css").write_text(
        '.p { background: url("../fonts/body.woff2"); }\n' + CSS_RULES
    )
    v2 = root / "v2"
    shutil.copytree(v1, v2)
    version_2(v2)
    (v2 / "css/print.css").write_text("/* v2 */\n" + (v1 / "css/print.css").read_text())
    v3 = root / "v3"
    shutil.copytree(v2, v3)
    (v3 / "css/site.css").write_text((v2 / "css/site.css").read_text() + "/* v3 */\n")
    (v3 / "robots.txt").write_text("User-agent: *\nDisallow: /v3/\n")
    (v3 / "js/app.js").write_text("".join(f"var v3_{i} = {i};\n" for i in range(80)))
    v4 = root / "v4"
    shutil.copytree(v2, v4)
    (v4 / "css/theme.css").write_text("/* theme, v4 */\n" + CSS_RULES)
    (v4 / "img/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"v4" * 300)
    return {"v1": v1, "v2": v2, "v3": v3, "v4": v4}


@dataclass
class Releases:
    """The sources of each version, what a full collect of each writes, and which version
    each release recorded in the bucket is."""

    project: Project
    settings: SettingsWrapper
    sources: dict[str, Path]
    stage: Path
    collects: dict[str, dict[str, bytes]] = field(default_factory=dict)
    versions: dict[int, str] = field(default_factory=dict)

    def use(self, version: str) -> None:
        self.settings.STATICFILES_DIRS = [str(self.sources[version])]

    def full_collect(self, version: str) -> dict[str, bytes]:
        if version not in self.collects:
            self.use(version)
            root = self.stage.parent / f"collect-{version}"
            self.collects[version] = stock_whitenoise_tree(self.settings, root)
        return self.collects[version]

    def index(self) -> SyncIndex:
        return SyncIndex.from_bytes(self.project.read(INDEX_KEY))

    def live(self) -> int:
        return self.index().release_number

    def run(self, kind: str) -> str:
        """One run of ``kind`` (a flow or a next run); the version it deploys."""
        version = MADE_OF.get(kind) or self.versions[self.live()]
        self.use(version)
        options = {
            "deploy-prune": ["--prune"],
            "prune-live": ["--prune"],
            "publish": ["--publish", str(self.stage)],
            "rollback": ["--rollback"],
        }.get(kind, [])
        run_command("--noinput", *options)
        return version

    def note(self, version: str) -> None:
        """The version of the release the last run recorded, if it recorded one."""
        index = self.index()
        release = index.live_release
        if release is not None and release.number not in self.versions:
            done = self.versions[release.rollback_of] if release.rollback_of else version
            self.versions[release.number] = done

    def assert_serves_live(self) -> None:
        """Every name of the live release's full collect holds its bytes, and each source's
        name has exactly the variants the collect gives it."""
        version = self.versions[self.live()]
        tree = self.full_collect(version)
        prefix = f"{LOCATION}/"
        # Each object's ETag is its MD5 here (single-part uploads and copies, no KMS).
        etags = Bucket(self.project.s3).etags(self.project.bucket)
        remote = {key.removeprefix(prefix): etag.strip('"') for key, etag in etags.items()}
        wrong = sorted(
            name for name, data in tree.items() if remote.get(name) != hashlib.md5(data).hexdigest()
        )
        assert wrong == [], version
        for name in tree:
            variants = {name + suffix for suffix in (".gz", ".br")}
            assert variants & remote.keys() == variants & set(tree), (version, name)


class Stopper:
    """The proxy's decision: pass every request until write number ``at`` (counted from 0),
    then stop the run there: ``cut`` refuses it and everything after, ``interrupt`` sends the
    process a SIGINT before passing it on."""

    def __init__(self, at: int | None = None, mode: str = "cut") -> None:
        self.at, self.mode = at, mode
        self.writes: list[tuple[str, str]] = []
        self.stopped = False
        self._lock = threading.Lock()

    def __call__(self, method: str, key: str, attempt: int) -> Action:
        with self._lock:
            if method in WRITES and not self.stopped:
                if self.at is not None and len(self.writes) == self.at:
                    self.stopped = True
                    if self.mode == "interrupt":
                        os.kill(os.getpid(), signal.SIGINT)
                self.writes.append((method, key))
            return "403" if self.stopped and self.mode == "cut" else "pass"


def phase(method: str, key: str) -> str:
    name = key.removeprefix(f"{LOCATION}/")
    index = INDEX_KEY.removeprefix(f"{LOCATION}/")
    if method in ("POST", "DELETE"):
        return "delete"
    if name == index:
        return "index"
    if name.startswith(index):
        return "partial" if name == f"{index}.partial" else "archive"
    return "manifest" if name == "staticfiles.json" else "content"


def stop_points(writes: list[tuple[str, str]], rng: random.Random) -> list[int]:
    """Before the first write, before the first of each phase, and before one write drawn
    among the uploads and copies."""
    phases = [phase(method, key) for method, key in writes]
    points = {0} | {i for i in range(1, len(phases)) if phases[i] != phases[i - 1]}
    among = [i for i, p in enumerate(phases) if p in ("content", "archive")]
    if among:
        points.add(rng.choice(among))
    return sorted(points)


class Bucket:
    """A bucket made to hold what another holds, server-side: only the objects that differ
    are copied (with their metadata), and the others deleted."""

    def __init__(self, s3: S3Client) -> None:
        self.s3 = s3

    def etags(self, bucket: str) -> dict[str, str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", [])}

    def copy(self, source: str, target: str) -> None:
        want, have = self.etags(source), self.etags(target)
        stale = sorted(have.keys() - want.keys())
        if stale:
            self.s3.delete_objects(
                Bucket=target, Delete={"Objects": [{"Key": key} for key in stale], "Quiet": True}
            )
        copies = [key for key, etag in want.items() if have.get(key) != etag]
        with ThreadPoolExecutor(8) as pool:
            for done in [pool.submit(self.copy_object, source, target, key) for key in copies]:
                done.result()

    def copy_object(self, source: str, target: str, key: str) -> None:
        self.s3.copy_object(Bucket=target, Key=key, CopySource={"Bucket": source, "Key": key})


@pytest.fixture
def aside(s3: S3Client, bucket: str) -> Iterator[tuple[str, str]]:
    """Two more buckets: the bucket once releases 1 and 2 are deployed, and once stopped."""
    names = (f"{bucket}-a", f"{bucket}-b")
    for name in names:
        s3.create_bucket(Bucket=name)
    yield names
    for name in names:
        keys = list(Bucket(s3).etags(name))
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": k} for k in keys]})
        s3.delete_bucket(Bucket=name)


@pytest.mark.faults
@pytest.mark.usefixtures("ctrl_c")
# A real SIGINT may land while the garbage collector finalizes an object, where Python prints
# the KeyboardInterrupt and drops it (the deploy then stops at its next checkpoint).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("flow", FLOWS)
def test_any_stopped_run_is_repaired_by_the_next_run_of_any_kind(
    flow: str,
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    aside: tuple[str, str],
) -> None:
    settings.COLLECTSYNC_WORKERS = 4
    releases = Releases(project, settings, write_versions(tmp_path / "sources"), tmp_path / "stage")
    releases.use("v3")
    releases.stage.mkdir()
    run_command("--noinput", "--stage-only", str(releases.stage))
    for number, version in ((1, "v1"), (2, "v2")):
        releases.use(version)
        run_command("--noinput")
        releases.versions[number] = version
    copier = Bucket(project.s3)
    released, stopped = aside
    copier.copy(project.bucket, released)
    rehearsal = Stopper()
    with through_proxy(project, rehearsal):
        releases.run(flow)
    rng = random.Random(flow)
    points = [(at, "cut") for at in stop_points(rehearsal.writes, rng)]
    points.append((rng.randrange(len(rehearsal.writes)), "interrupt"))
    for at, mode in points:
        copier.copy(released, project.bucket)
        releases.versions = {1: "v1", 2: "v2"}
        stopper = Stopper(at, mode)
        with through_proxy(project, stopper) as proxy:
            version = MADE_OF.get(flow, "v2")
            with contextlib.suppress(CommandError):
                version = releases.run(flow)
            settle(proxy)
        assert stopper.stopped, (flow, at, mode)
        releases.note(version)
        after_stop = dict(releases.versions)
        copier.copy(project.bucket, stopped)
        for next_run in NEXT_RUNS:
            copier.copy(stopped, project.bucket)
            releases.versions = dict(after_stop)
            releases.note(releases.run(next_run))
            releases.assert_serves_live()
