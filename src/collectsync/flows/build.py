"""Build: the deploy's first half alone (``--stage-only DIR``), into a directory that outlives
the run, with no remote at all. The build record the directory keeps is the evidence that lets
the next build stage only what changed, as the sync index does for a deploy; ``--publish DIR``
(publish_stage.py) is the second half."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from collectsync.allocator import limit_allocator
from collectsync.files import Entry, StagedFile
from collectsync.flows.staging import Staged, Staging
from collectsync.index.sync_index import SyncIndex
from collectsync.interrupts import checkpoint
from collectsync.options import CollectInto, Console, Request
from collectsync.remote.dispatch import build_remote_storage, remote_manifest_name
from collectsync.report import conflict_note, plural
from collectsync.stage.fingerprint import Inputs, output_shape
from collectsync.stage_dir.build_record import BuildRecord, IncompatibleStage
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
        # The storage is built, never asked anything: only its manifest's name shapes the files.
        manifest_name = remote_manifest_name(build_remote_storage(backend))
        self.staging = Staging(request, console, collect, manifest_name)

    def run(self) -> str:
        started = time.monotonic()
        inputs = self.staging.read_inputs()
        with self.stage.locked():
            previous = self.previous()
            unchanged = previous is not None and previous.made.fingerprint == inputs.fingerprint
            if unchanged and not self.request.force_sync:
                self.staging.nothing_changed(inputs)
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
        evidence = SyncIndex() if previous is None else as_index(previous)
        limit_allocator()  # before staging starts its threads
        with self.stage.scratch() as root:
            staged = self.staging.stage(root, inputs, evidence)
            manifest = staged.files.manifest
            drop = None
            if previous is not None:
                keep = {*kept_files(previous, staged), *(f.name for f in staged.files.files)}
                drop = set(previous.every_file) - keep - {manifest.name if manifest else ""}
            installed = self.stage.install(staged.files, drop=drop)
        files = kept_files(previous, staged)
        for file in installed.files:
            if file.name in staged.files.variants_kept:
                assert previous is not None  # only a record's variants are kept
                file = dataclasses.replace(file, variants=previous.files[file.name].variants)
            files[file.name] = file
        record = BuildRecord(
            made=staged.made,
            shape=output_shape(
                post_process=self.request.post_process, manifest_name=self.staging.manifest_name
            ),
            files=files,
            manifest=installed.manifest,
            source_count=inputs.source_count,
        )
        return record, None if staged.selection is None else len(staged.files.files)


def kept_files(previous: BuildRecord | None, staged: Staged) -> dict[str, StagedFile]:
    """The last build's files that this one keeps as they are: those of the sources not
    staged again, and the variants of the files whose compression was skipped."""
    if previous is None:
        return {}
    files = {}
    if staged.selection is not None:
        files = dict(previous.files)
        for name in staged.selection.retiring:
            files.pop(name, None)
    for name in staged.files.variants_kept:
        # Not compressed again: the stage holds the variants of these very bytes.
        for suffix in previous.files[name].variants or ():
            files[name + suffix] = previous.files[name + suffix]
    return files


def as_index(record: BuildRecord) -> SyncIndex:
    """The build record, as the evidence incremental staging reads from a sync index."""
    made = record.made
    manifest = record.manifest
    return SyncIndex(
        {name: Entry.of(file, file.variants) for name, file in record.files.items()},
        None if manifest is None else manifest.name,
        None if manifest is None else Entry(manifest.md5, manifest.size),
        fingerprint=made.fingerprint,
        compressor=made.compressor,
        release_number=1,
        settings=made.settings,
        sources=made.sources,
        code=made.code,
    )
