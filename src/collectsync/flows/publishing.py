"""The deploy's second half, shared by a deploy and ``--publish``: read the sync index, plan the
staged files against it, upload what is new or changed, switch the manifest, write the index
last, prune, and report."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from collectsync.cdn.paths import is_hashed
from collectsync.files import Provenance, StagedFile, StagedSet
from collectsync.flows.announcing import announce
from collectsync.flows.reaching import reach
from collectsync.index.releases import Release, Stamp
from collectsync.index.stored import RemoteIndex, confirmed, read_index
from collectsync.index.sync_index import SyncIndex
from collectsync.index.unfinished import save_partial_index, with_partial_index
from collectsync.options import Console, Request
from collectsync.progress import Bar
from collectsync.report import Outcome, plan_lines, summary, write_json_report
from collectsync.sync.apply import UploadFailed, apply_plan, would_write
from collectsync.sync.background import BackgroundUploads, background_uploads
from collectsync.sync.plan import Plan, make_plan
from collectsync.sync.prune import prune


@dataclass(frozen=True)
class Published:
    plan: Plan
    live: SyncIndex
    """The sync index as it now is (or, in a dry run, would be)."""
    since: float
    """When uploading started, planning done (time.monotonic())."""
    overwritten: list[str]
    """The names whose bytes changed or went away."""
    release: Release | None = None
    """The release made live, if one was."""


class Publishing:
    def __init__(self, backend: dict[str, Any], request: Request, console: Console) -> None:
        self.request = request
        self.console = console
        reached = reach(backend)
        self.storage, self.target = reached.storage, reached.target

    @property
    def destination(self) -> str:
        return self.target.content.destination

    def read_index(self, reader: ThreadPoolExecutor) -> Future[RemoteIndex]:
        """The sync index, read in ``reader`` while the caller reads what it publishes."""
        return reader.submit(
            read_index,
            self.target,
            verify=self.request.verify,
            warn=self.console.warn,
            inform=lambda message: self.console.log(message, level=1),
        )

    def nothing_to_do(self, record: RemoteIndex, fingerprint: str | None) -> bool:
        """Whether the index shows these very inputs deployed, nothing asks to look, and
        no run that stopped may have overwritten any of them (see index/doubt.py)."""
        request = self.request
        looking = request.force_sync or request.keep_local or request.verify
        index = record.index
        return not looking and index.doubt is None and fingerprint == index.fingerprint

    def unchanged(self, record: RemoteIndex, outcome: Outcome, started: float) -> str:
        """Finish a deploy that found nothing to do: prune, if asked, and report."""
        deleted = None
        if self.request.keep_releases is not None:
            deleted = self.prune(with_partial_index(self.target, record.index))
        return self.report(dataclasses.replace(outcome, deleted=deleted), started)

    def amended(self, record: RemoteIndex) -> RemoteIndex:
        """``record`` with what a failed deploy since uploaded, so that it is not again."""
        return dataclasses.replace(record, index=with_partial_index(self.target, record.index))

    @contextmanager
    def early_uploads(self, record: RemoteIndex) -> Iterator[BackgroundUploads]:
        """Uploads of new names as soon as staging finishes each file: nothing the live
        manifest names can change before the switch."""
        own = self.target.own_names
        with background_uploads(
            self.target.content,
            workers=self.request.workers,
            is_new=lambda name: record.is_new(name) and name not in own,
        ) as early:
            yield early

    def offer(self, early: BackgroundUploads, files: list[StagedFile]) -> None:
        self.target.refuse_own_names(f.name for f in files)
        early.offer(files)

    def plan(
        self,
        staged: StagedSet,
        record: RemoteIndex,
        early: BackgroundUploads | None,
        *,
        retiring: list[str] | None,
        compressor: str | None,
    ) -> Plan:
        """What to upload of ``staged``, once what went early has."""
        self.target.refuse_own_names(f.name for f in staged.files)
        uploaded_early, failures = early.finish() if early else ([], [])
        if failures:
            save_partial_index(self.target, record.index, uploaded_early, compressor=compressor)
            raise UploadFailed(failures)
        workers = self.request.workers
        index, unverifiable = confirmed(self.target, record, staged, compressor, workers)
        return make_plan(
            staged,
            index,
            force=self.request.force_sync,
            uploaded_early={f.name: f.md5 for f in uploaded_early},
            retiring=retiring,
            compressor=compressor,
            unverifiable=unverifiable,
        )

    def apply(self, plan: Plan, record: RemoteIndex, made: Provenance) -> Published:
        """Upload the plan, switch the manifest and write the index; in a dry run, say what
        that would do."""
        since = time.monotonic()
        if self.request.dry_run:
            for line in plan_lines(plan):
                self.console.log(line, level=1)
            return Published(plan, would_write(plan, record, self.target, made), since, [])
        with self.console.progress.bar("Uploading", total=len(plan.uploads)) as bar:
            for staged in plan.early:
                self.uploaded(bar, staged)
            applied = apply_plan(
                plan,
                record,
                self.target,
                made=made,
                stamp=Stamp.here(self.request.release_name),
                workers=self.request.workers,
                on_uploaded=lambda staged: self.uploaded(bar, staged),
                warn=self.console.warn,
            )
        for name in plan.stale_variants:
            self.console.log(f"Deleted '{name}'", level=2)
        return Published(plan, applied.live, since, applied.overwritten, applied.release)

    def uploaded(self, bar: Bar, staged: StagedFile) -> None:
        bar.tick(self.target.content.weather.note())
        self.console.log(f"Uploaded '{staged.name}'", level=2)

    def finish(self, published: Published, outcome: Outcome, started: float) -> str:
        """Prune, if asked, once the new release is live; tell the CDN; report."""
        deleted = self.prune(published.live)
        seconds = {**outcome.seconds, "upload": time.monotonic() - published.since}
        outcome = dataclasses.replace(
            outcome, plan=published.plan, deleted=deleted, seconds=seconds
        )
        text = self.report(outcome, started)
        if self.request.dry_run:
            return text
        gone = [n for n in deleted or [] if not self.target.is_own(n) and not is_hashed(n)]
        return announce(
            text,
            published.release,
            sorted({*published.overwritten, *gone}),
            destination=self.destination,
            storage=self.storage,
        )

    def prune(self, live: SyncIndex) -> list[str] | None:
        """With --prune or --clear, delete what the deploys worth keeping don't have."""
        if self.request.keep_releases is None:
            return None
        deleted = prune(
            self.target,
            live,
            keep_releases=self.request.keep_releases,
            dry_run=self.request.dry_run,
            warn=self.console.warn,
        )
        for name in deleted:
            # Listed at the default verbosity in a dry run: that is what a dry run is for.
            if self.request.dry_run:
                self.console.log(f"Pretending to delete '{name}'", level=1)
            else:
                self.console.log(f"Deleted '{name}'", level=2)
        return deleted

    def report(self, outcome: Outcome, started: float) -> str:
        seconds = {**outcome.seconds, "total": time.monotonic() - started}
        throttling = self.target.content.weather.summary()
        outcome = dataclasses.replace(outcome, seconds=seconds, throttling=throttling)
        if self.request.json_report:
            write_json_report(
                self.request.json_report,
                outcome,
                destination=self.destination,
                requests=self.target.requests(),
                dry_run=self.request.dry_run,
            )
        return summary(
            outcome,
            self.destination,
            dry_run=self.request.dry_run,
            keep_releases=self.request.keep_releases,
        )
