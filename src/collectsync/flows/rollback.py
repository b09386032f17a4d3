"""Rollback (``--rollback [RELEASE]``): make an earlier release live again by server-side copies
from the release archive, with no sources, no staging and nothing uploaded from here.

1. Read the sync index; find the release and its archived index.
2. Keep the live bytes about to be overwritten or deleted (copies into the archive).
3. Delete the variants the earlier release's names didn't have; copy its bytes back.
4. Copy its manifest back last: the switch. Then the index, as a new release.
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from collectsync.errors import DeployError
from collectsync.flows.announcing import announce
from collectsync.flows.reaching import reach
from collectsync.index.releases import Release, Stamp, archived_index_name
from collectsync.index.stored import read_index
from collectsync.index.sync_index import SyncIndex
from collectsync.index.unfinished import with_partial_index
from collectsync.index.wire import CorruptIndex
from collectsync.options import Console, Request
from collectsync.report import write_report
from collectsync.sync.restore import Restoration, apply_restoration, plan_restore


class Rollback:
    writes: ClassVar[bool] = True
    """Whether it writes to the remote (the command confirms before it)."""

    def __init__(self, backend: dict[str, Any], request: Request, console: Console) -> None:
        self.request = request
        self.console = console
        self.reached = reach(backend)
        self.target = self.reached.target

    @property
    def destination(self) -> str:
        return self.reached.destination

    def run(self) -> str:
        started = time.monotonic()
        record = read_index(
            self.target, verify=False, warn=self.console.warn, inform=lambda message: None
        )
        release = self.chosen(record.index)
        # Read together, one round trip: the release's index, and what a rollback that
        # stopped part way copied aside (so that it is not copied again).
        with ThreadPoolExecutor(1, "collectsync-read") as pool:
            amended = pool.submit(with_partial_index, self.target, record.index)
            then = self.archived(record.index, release)
        index = amended.result()
        record = dataclasses.replace(record, index=index)
        number = index.release_number + 1
        restoration = plan_restore(index, then, self.target.index_name, number)
        if restoration.missing:
            raise self.pruned(release, restoration.missing[0])
        if restoration.changes_nothing:  # as a no-change deploy: a rerun records nothing
            return self.report(release, restoration, time.monotonic() - started)
        for source, name in restoration.copies:
            verb = "Pretending to copy" if self.request.dry_run else "Copying"
            self.console.log(f"{verb} '{source}' to '{name}'", level=2 - self.request.dry_run)
        if self.request.dry_run:
            return self.report(release, restoration, time.monotonic() - started)
        done = apply_restoration(
            self.target,
            record,
            then,
            restoration,
            stamp=Stamp.here(self.request.release_name),
            rollback_of=release.number,
            workers=self.request.workers,
            warn=self.console.warn,
        )
        text = self.report(release, restoration, time.monotonic() - started)
        return announce(
            text,
            done,
            restoration.changed,
            destination=self.destination,
            storage=self.reached.storage,
        )

    def chosen(self, index: SyncIndex) -> Release:
        live = index.live_release
        if live is None:
            raise DeployError(
                f"No live release is recorded in {self.destination}: collectsync records one "
                "with each deploy it makes, so deploy once with it before rolling back."
            )
        wanted = None if self.request.rollback == "previous" else self.request.rollback
        earlier = [r for r in index.releases if r.number < live.number]
        if wanted is None and not earlier:
            raise DeployError(
                f"Release {live.number}, the live one, is the only release recorded in "
                f"{self.destination}; there is nothing to roll back to."
            )
        release = earlier[-1] if wanted is None else None
        release = release or next((r for r in index.releases if r.number == wanted), None)
        if release is None:
            raise DeployError(
                f"There is no release {wanted} in {self.destination}; "
                "`collectstatic --history` lists the releases."
            )
        if release.number == live.number:
            raise DeployError(f"Release {release.number} is already live in {self.destination}.")
        if self.target.manifest is not None and self.target.manifest is not self.target.content:
            raise DeployError(
                f"The manifest of {self.destination} lives in another storage, which "
                "collectsync does not archive; roll back by --publish of that release's stage."
            )
        return release

    def archived(self, index: SyncIndex, release: Release) -> SyncIndex:
        name = archived_index_name(self.target.index_name, release.number)
        data = self.target.content.read(name) if name in index.files else None
        try:
            if data is not None:
                return SyncIndex.from_bytes(data)
        except CorruptIndex:
            pass
        raise self.pruned(release, name)

    def pruned(self, release: Release, name: str) -> DeployError:
        return DeployError(
            f"Release {release.number}'s files are no longer in {self.destination} ('{name}' "
            "was pruned); to make it live again, build its sources with --stage-only and "
            "run collectstatic --publish on that stage."
        )

    def report(self, release: Release, restoration: Restoration, seconds: float) -> str:
        # And the live release's index, copied aside, unless nothing changes.
        copies = restoration.copy_count + (not restoration.changes_nothing)
        deleted = len(restoration.deletions)
        label = f" ({release.label})" if release.label else ""
        done = (
            f"{copies} server-side cop{'y' if copies == 1 else 'ies'}, "
            f"{deleted} deletion{'' if deleted == 1 else 's'}, nothing uploaded"
        )
        if restoration.changes_nothing:
            text = (
                f"\nRelease {release.number}{label} is what {self.destination} serves already: "
                "nothing was copied, and no release was recorded."
            )
        elif self.request.dry_run:
            text = (
                f"\nWould roll back {self.destination} to release {release.number}{label}: "
                f"{done}. Nothing was written (--dry-run)."
            )
        else:
            text = (
                f"\nRolled back {self.destination} to release {release.number}{label}: "
                f"{done}, in {seconds:.1f}s."
            )
        if self.request.json_report:
            document = {
                "destination": self.destination,
                "dry_run": self.request.dry_run,
                "rollback_of": release.number,
                "copied": copies,
                "deleted": len(restoration.deletions),
                "changed_names": restoration.changed,
                "requests": dict(sorted(self.target.requests().items())),
            }
            live = None if self.request.dry_run else f"Release {release.number} is live again"
            write_report(self.request.json_report, document, done=live)
        return text
