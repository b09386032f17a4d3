"""One deploy, its two halves in a row: stage the sources locally, then publish what was staged.

1. Read the sync index and the sources side by side; when the index shows these very sources
   and settings deployed, there is nothing to do.
2. Stage: Django's collect and post-processing in a temp dir, only the sources that changed,
   new files uploading as soon as they are final.
3. Plan what is new or changed, upload it, switch the manifest, write the index last.
4. Prune, if asked, clean up, and report.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from collectsync.allocator import limit_allocator
from collectsync.flows.publishing import Publishing
from collectsync.flows.staging import Staging
from collectsync.index.stored import RemoteIndex
from collectsync.options import CollectInto, Console, Request
from collectsync.report import Outcome
from collectsync.stage.fingerprint import Inputs
from collectsync.stage.local_storage import scratch_dir


class Deploy:
    writes: ClassVar[bool] = True
    """Whether it writes to the remote (the command confirms before it)."""

    def __init__(
        self, backend: dict[str, Any], request: Request, console: Console, collect: CollectInto
    ) -> None:
        self.request = request
        self.console = console
        self.publishing = Publishing(backend, request, console)
        manifest_name = self.publishing.target.manifest_name
        self.staging = Staging(request, console, collect, manifest_name)

    @property
    def destination(self) -> str:
        return self.publishing.destination

    def run(self) -> str:
        started = time.monotonic()
        record, inputs = self.read_index_and_sources()
        outcome = Outcome(inputs.source_count, inputs.conflicts, None, None, {})
        if self.publishing.nothing_to_do(record, inputs.fingerprint):
            self.staging.nothing_changed(inputs)
            return self.publishing.unchanged(record, outcome, started)
        amended = self.publishing.amended(record)
        staging_started = time.monotonic()
        limit_allocator()  # before staging and the uploads that go with it start threads
        with (
            scratch_dir(keep=self.request.keep_local) as root,
            self.publishing.early_uploads(record) as early,
        ):
            offer = None if self.request.dry_run else lambda f: self.publishing.offer(early, f)
            staged = self.staging.stage(root, inputs, amended.index, on_final=offer)
            compressor = staged.made.compressor
            plan = self.publishing.plan(
                staged.files, amended, early, retiring=staged.retiring, compressor=compressor
            )
            if self.request.keep_local:
                self.console.log(f"Staged files kept in '{root}'.", level=0)
            published = self.publishing.apply(plan, amended, staged.made)
        outcome.seconds["staging"] = published.since - staging_started
        return self.publishing.finish(published, outcome, started)

    def read_index_and_sources(self) -> tuple[RemoteIndex, Inputs]:
        # Reading the index is mostly waiting for the remote, reading the sources mostly disk
        # and hashlib, which let go of the GIL: side by side, the no-change path is sooner done.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="collectsync-index") as reader:
            reading = self.publishing.read_index(reader)
            inputs = self.staging.read_inputs()
            return reading.result(), inputs
