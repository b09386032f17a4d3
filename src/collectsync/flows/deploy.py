"""One deploy, top to bottom: read the record and fingerprint the sources; stage; plan; upload,
switch the manifest and write the record; prune; report."""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from collectsync.allocator import limit_allocator
from collectsync.conf import conf
from collectsync.errors import StagingError
from collectsync.files import Provenance, StagedFile, StagedSet
from collectsync.index.stored import (
    RemoteIndex,
    Target,
    confirmed,
    read_index,
    save_partial_index,
    with_partial_index,
)
from collectsync.index.sync_index import SyncIndex
from collectsync.options import CollectInto, Console, Request
from collectsync.progress import Bar
from collectsync.remote.dispatch import build_remote_storage, manifest_remote, open_remote
from collectsync.report import (
    CONFLICT_LOG_LEVEL,
    Outcome,
    found_another_file,
    plan_lines,
    summary,
    write_json_report,
)
from collectsync.stage.collect import explain_failure, stage
from collectsync.stage.compression import compressor_identity
from collectsync.stage.fingerprint import Inputs, input_fingerprint
from collectsync.stage.incremental import choose
from collectsync.stage.local_storage import local_storage_class, scratch_dir
from collectsync.stage.post_processing import unhookable
from collectsync.stage.sources import read_sources
from collectsync.sync.apply import UploadFailed, apply_plan
from collectsync.sync.plan import Plan, make_plan
from collectsync.sync.prune import prune
from collectsync.sync.upload import BackgroundUploads, background_uploads


class Deploy:
    def __init__(
        self, backend: dict[str, Any], request: Request, console: Console, collect: CollectInto
    ) -> None:
        self.request = request
        self.console = console
        self.collect = collect
        storage = build_remote_storage(backend)
        remote = open_remote(storage, fresh=lambda: build_remote_storage(backend))
        manifest = manifest_remote(storage, remote)
        self.target = Target(
            content=remote,
            index_name=conf.INDEX_NAME,
            manifest=manifest[0] if manifest else None,
            manifest_name=manifest[1] if manifest else None,
        )

    @property
    def destination(self) -> str:
        return self.target.content.destination

    def run(self) -> str:
        started = time.monotonic()
        record, inputs = self.read_record_and_fingerprint()
        staging_wanted = self.request.force_sync or self.request.keep_local or self.request.verify
        if not staging_wanted and inputs.fingerprint == record.index.fingerprint:
            # What Django's collect() would have said, had staging run.
            for path in inputs.conflicts:
                self.console.log(found_another_file(path), level=CONFLICT_LOG_LEVEL)
            deleted = self.prune_unchanged(record.index)
            outcome = Outcome(inputs.source_count, inputs.conflicts, None, deleted, {})
            return self.report(outcome, started)
        index = with_partial_index(self.target, record.index)
        limit_allocator()  # before staging and uploading start their threads
        staging_started = time.monotonic()
        compressor = compressor_identity()
        full_because = self.request.full_stage_reason() or unhookable(local_storage_class())
        selection, reason = choose(index, inputs, compressor, full_because=full_because)
        if reason:
            self.console.log(f"Staging every file: {reason}.", level=1)
        staging_only = None if selection is None else selection.staged
        with (
            scratch_dir(keep=self.request.keep_local) as root,
            background_uploads(
                self.target.content,
                workers=self.request.workers,
                is_new=lambda name: record.is_new(name) and name not in self.target.own_names,
            ) as early,
        ):
            staged = stage(
                root,
                lambda storage: self.collect(storage, inputs.listing, staging_only),
                known=SyncIndex() if self.request.force_sync else index,
                compressor=compressor,
                remote_manifest_name=self.target.manifest_name,
                on_final=None if self.request.dry_run else lambda files: self.offer(early, files),
                sources=inputs.sources,
                selection=selection,
                recorded=index.sources,
            )
            self.target.refuse_own_names(f.name for f in staged.files)
            retiring = selection.retiring if selection else None
            record = dataclasses.replace(record, index=index)
            plan = self.plan(staged, record, early, retiring=retiring, compressor=compressor)
            upload_started = time.monotonic()
            if self.request.keep_local:
                self.console.log(f"Staged files kept in '{root}'.", level=0)
            live = self.publish(plan, index, inputs.provenance(compressor, staged.sources))
        deleted = self.prune(live)
        upload = time.monotonic() - upload_started
        seconds = {"staging": upload_started - staging_started, "upload": upload}
        outcome = Outcome(inputs.source_count, inputs.conflicts, plan, deleted, seconds)
        return self.report(outcome, started)

    def read_record_and_fingerprint(self) -> tuple[RemoteIndex, Inputs]:
        # Reading the index is mostly waiting for the remote, reading the sources mostly disk
        # and hashlib, which let go of the GIL: side by side, the no-change path is sooner done.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="collectsync-index") as reader:
            reading = self.start_reading_record(reader)
            try:
                read = read_sources(self.request.ignore_patterns)
            except OSError as error:
                raise StagingError(explain_failure(error)) from error
            inputs = input_fingerprint(
                read,
                post_process=self.request.post_process,
                manifest_name=self.target.manifest_name,
            )
            return reading.result(), inputs

    def start_reading_record(self, reader: ThreadPoolExecutor) -> Future[RemoteIndex]:
        return reader.submit(
            read_index,
            self.target,
            verify=self.request.verify,
            warn=self.console.warn,
            inform=lambda message: self.console.log(message, level=1),
        )

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

    def publish(self, plan: Plan, index: SyncIndex, made: Provenance) -> SyncIndex:
        """Upload the plan and write the record; the record as it now is (or would be)."""
        if self.request.dry_run:
            for line in plan_lines(plan):
                self.console.log(line, level=1)
            return index.updated(
                plan.staged_content,
                plan.manifest,
                generation=index.generation + 1,
                retiring=plan.retiring,
            )
        with self.console.progress.bar("Uploading", total=len(plan.uploads)) as bar:
            for staged in plan.early:
                self.uploaded(bar, staged)
            live = apply_plan(
                plan,
                index,
                self.target,
                made=made,
                workers=self.request.workers,
                on_uploaded=lambda staged: self.uploaded(bar, staged),
                warn=self.console.warn,
            )
        for name in plan.stale_variants:
            self.console.log(f"Deleted '{name}'", level=2)
        return live

    def uploaded(self, bar: Bar, staged: StagedFile) -> None:
        bar.tick(self.target.content.weather.note())
        self.console.log(f"Uploaded '{staged.name}'", level=2)

    def prune_unchanged(self, index: SyncIndex) -> list[str] | None:
        """Prune after a deploy that found nothing to do."""
        if self.request.keep_deploys is None:
            return None
        return self.prune(with_partial_index(self.target, index))

    def prune(self, live: SyncIndex) -> list[str] | None:
        """With --prune or --clear, delete what the deploys worth keeping don't have."""
        if self.request.keep_deploys is None:
            return None
        deleted = prune(
            self.target,
            live,
            keep_deploys=self.request.keep_deploys,
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
        outcome.seconds["total"] = time.monotonic() - started
        outcome = dataclasses.replace(outcome, throttling=self.target.content.weather.summary())
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
            keep_deploys=self.request.keep_deploys,
        )
