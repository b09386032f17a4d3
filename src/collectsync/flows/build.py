"""Build: stage into a directory that outlives the run (``--stage-only DIR``), with no remote
at all. The build record the directory keeps is the evidence that lets the next build stage
only what changed, as the sync index does for a deploy; publish_stage.py publishes what it holds."""

from __future__ import annotations

import time
from typing import Any

from collectsync.allocator import limit_allocator
from collectsync.errors import StagingError
from collectsync.files import Entry, StagedSet
from collectsync.index.sync_index import SyncIndex
from collectsync.interrupts import checkpoint
from collectsync.options import CollectInto, Console, Request
from collectsync.remote.dispatch import build_remote_storage, remote_manifest_name
from collectsync.report import CONFLICT_LOG_LEVEL, conflict_note, found_another_file, plural
from collectsync.stage.collect import explain_failure, stage
from collectsync.stage.compression import compressor_identity
from collectsync.stage.fingerprint import Inputs, input_fingerprint, output_shape
from collectsync.stage.incremental import Selection, choose
from collectsync.stage.local_storage import local_storage_class
from collectsync.stage.post_processing import unhookable
from collectsync.stage.sources import read_sources
from collectsync.stage_dir.build_record import BuildRecord, IncompatibleStage, StageEntry
from collectsync.stage_dir.directory import StageDamaged, StageDir


class Build:
    def __init__(
        self,
        path: str,
        backend: dict[str, Any],
        request: Request,
        console: Console,
        collect: CollectInto,
    ) -> None:
        self.stage = StageDir.existing(path, writable=True)
        self.request = request
        self.console = console
        self.collect = collect
        # The storage is built, never asked anything: only its manifest's name shapes the files.
        self.manifest_name = remote_manifest_name(build_remote_storage(backend))

    def run(self) -> str:
        started = time.monotonic()
        try:
            read = read_sources(self.request.ignore_patterns)
        except OSError as error:
            raise StagingError(explain_failure(error)) from error
        inputs = input_fingerprint(
            read, post_process=self.request.post_process, manifest_name=self.manifest_name
        )
        with self.stage.locked():
            previous = self.previous()
            unchanged = previous is not None and previous.made.fingerprint == inputs.fingerprint
            if unchanged and not self.request.force_sync:
                for path in inputs.conflicts:
                    self.console.log(found_another_file(path), level=CONFLICT_LOG_LEVEL)
                return (
                    f"\nNothing changed since the stage in '{self.stage.path}' was built: "
                    f"{plural(inputs.source_count, 'source file')} and the settings match its "
                    f"fingerprint, so nothing was staged{conflict_note(len(inputs.conflicts))}."
                )
            self.stage.unmark()
            record, staged_again = self.build(inputs, previous)
            checkpoint()  # an interrupt whose exception was lost must not leave a record
            self.stage.mark(record)
        count = len(record.every_file)
        again = "" if staged_again is None else f" ({staged_again} staged again)"
        return (
            f"\n{plural(count, 'static file')} staged into '{self.stage.path}'{again}"
            f"{conflict_note(len(inputs.conflicts))}, in {time.monotonic() - started:.1f}s."
        )

    def previous(self) -> BuildRecord | None:
        """The last build's record, if its files are all there: what this one may keep."""
        try:
            record = self.stage.record()
            if record is not None:
                self.stage.check(record)
        except StageDamaged as damaged:
            self.console.log(
                f"Staging every file: '{damaged.name}' in the stage does not match its build "
                f"record ({damaged.what}).",
                level=1,
            )
            return None
        except IncompatibleStage as error:
            self.console.log(f"Staging every file: {error}", level=1)
            return None
        return record

    def build(self, inputs: Inputs, previous: BuildRecord | None) -> tuple[BuildRecord, int | None]:
        """Stage into the directory; its new record, and how many files were staged again
        (None when every file was)."""
        index = SyncIndex() if previous is None else as_index(previous)
        compressor = compressor_identity()
        full_because = self.request.full_stage_reason() or unhookable(local_storage_class())
        selection, reason = choose(index, inputs, compressor, full_because=full_because)
        if reason:
            self.console.log(f"Staging every file: {reason}.", level=1)
        limit_allocator()
        only = None if selection is None else selection.staged
        with self.stage.scratch() as root:
            staged = stage(
                root,
                lambda storage: self.collect(storage, inputs.listing, only),
                known=SyncIndex() if self.request.force_sync else index,
                compressor=compressor,
                remote_manifest_name=self.manifest_name,
                on_final=None,
                sources=inputs.sources,
                selection=selection,
                recorded=index.sources,
            )
            files = staged_files(previous, selection, staged)
            manifest = staged.manifest
            if previous is None:
                self.stage.install(staged, drop=None)
            else:
                keep = set(files) | {manifest.name} if manifest else set(files)
                self.stage.install(staged, drop=set(previous.every_file) - keep)
        record = BuildRecord(
            made=inputs.provenance(compressor, staged.sources),
            shape=output_shape(
                post_process=self.request.post_process, manifest_name=self.manifest_name
            ),
            files=files,
            manifest_name=None if manifest is None else manifest.name,
            manifest=None if manifest is None else StageEntry(manifest.md5, manifest.size),
            source_count=inputs.source_count,
        )
        return record, None if selection is None else len(staged.files)


def staged_files(
    previous: BuildRecord | None, selection: Selection | None, staged: StagedSet
) -> dict[str, StageEntry]:
    """The stage's files after this build: the last build's that it keeps, and its own."""
    files = {}
    if previous is not None and selection is not None:
        files = dict(previous.files)
        for name in selection.retiring:
            files.pop(name, None)
    for name in staged.variants_kept:
        # Not compressed again: the stage holds the variants of these very bytes.
        assert previous is not None
        for suffix in previous.files[name].variants or ():
            files[name + suffix] = previous.files[name + suffix]
    for file in staged.files:
        variants = file.variants
        if file.name in staged.variants_kept:
            assert previous is not None
            variants = previous.files[file.name].variants
        files[file.name] = StageEntry(
            file.md5, file.size, file.source_md5, variants, file.immutable
        )
    return files


def as_index(record: BuildRecord) -> SyncIndex:
    """The build record, as the evidence incremental staging reads from a sync index."""
    made = record.made
    files = {
        name: Entry(entry.md5, entry.size, entry.source_md5, entry.variants)
        for name, entry in record.files.items()
    }
    manifest = record.manifest
    return SyncIndex(
        files,
        record.manifest_name,
        None if manifest is None else Entry(manifest.md5, manifest.size),
        fingerprint=made.fingerprint,
        compressor=made.compressor,
        generation=1,
        settings=made.settings,
        sources=made.sources,
        code=made.code,
    )
