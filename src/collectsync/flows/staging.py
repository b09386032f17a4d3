"""The deploy's first half, shared by a deploy and ``--stage-only``: read and fingerprint the
sources, choose what to stage again (everything, or only what changed where the evidence can
vouch for the rest), and stage it with Django's own collect and post-processing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from collectsync.errors import StagingError
from collectsync.files import Provenance, StagedFile, StagedSet
from collectsync.index.sync_index import SyncIndex
from collectsync.options import CollectInto, Console, Request
from collectsync.report import CONFLICT_LOG_LEVEL, found_another_file
from collectsync.stage.collect import explain_failure, stage
from collectsync.stage.compression import compressor_identity
from collectsync.stage.fingerprint import Inputs, input_fingerprint
from collectsync.stage.incremental import Selection, choose
from collectsync.stage.local_storage import local_storage_class
from collectsync.stage.post_processing import unhookable
from collectsync.stage.sources import read_sources


@dataclass(frozen=True)
class Staged:
    """What one staging wrote, and what it was made from."""

    files: StagedSet
    selection: Selection | None
    """The sources staged again and those reused; None when every source was staged."""
    made: Provenance
    """What the record keeps of the inputs, the compressor and the sources."""

    @property
    def retiring(self) -> list[str] | None:
        """The last deploy's files this one may no longer have; None: all it did not stage."""
        return None if self.selection is None else self.selection.retiring


class Staging:
    def __init__(
        self,
        request: Request,
        console: Console,
        collect: CollectInto,
        manifest_name: str | None,
    ) -> None:
        """``manifest_name``: what the remote storage calls its manifest (None: it keeps
        none), so that staging names it so."""
        self.request = request
        self.console = console
        self.collect = collect
        self.manifest_name = manifest_name

    def read_inputs(self) -> Inputs:
        """Every source listed and read once, and one fingerprint of them with the settings."""
        try:
            read = read_sources(self.request.ignore_patterns)
        except OSError as error:
            raise StagingError(explain_failure(error)) from error
        return input_fingerprint(
            read, post_process=self.request.post_process, manifest_name=self.manifest_name
        )

    def nothing_changed(self, inputs: Inputs) -> None:
        """Say what Django's collect() would have said, had staging run."""
        for path in inputs.conflicts:
            self.console.log(found_another_file(path), level=CONFLICT_LOG_LEVEL)

    def stage(
        self,
        root: Path,
        inputs: Inputs,
        evidence: SyncIndex,
        *,
        on_final: Callable[[list[StagedFile]], None] | None = None,
    ) -> Staged:
        """Stage into ``root`` what ``evidence`` (the sync index, or a stage's build record)
        can't vouch for; each file whose bytes are final goes to ``on_final`` at once."""
        compressor = compressor_identity()
        full_because = self.request.full_stage_reason() or unhookable(local_storage_class())
        selection, reason = choose(evidence, inputs, compressor, full_because=full_because)
        if reason:
            self.console.log(f"Staging every file: {reason}.", level=1)
        only = None if selection is None else selection.staged
        files = stage(
            root,
            lambda storage: self.collect(storage, inputs.listing, only),
            known=SyncIndex() if self.request.force_sync else evidence,
            compressor=compressor,
            remote_manifest_name=self.manifest_name,
            on_final=on_final,
            sources=inputs.sources,
            selection=selection,
            recorded=evidence.sources,
        )
        return Staged(files, selection, inputs.provenance(compressor, files.sources))
