"""Publish: upload a plan's content, then the manifest, then the record, in that order."""

from __future__ import annotations

from collections.abc import Callable

from collectsync.errors import ConnectionLost, DeployError, RemoteError
from collectsync.files import Provenance, StagedFile
from collectsync.index.stored import Target, save_partial_index, write_index
from collectsync.index.sync_index import SyncIndex
from collectsync.interrupts import checkpoint
from collectsync.sync.plan import Plan
from collectsync.sync.upload import REFUSALS_BEFORE_STOP, Failure, upload_parallel


class UploadFailed(DeployError):
    def __init__(self, failures: list[Failure]) -> None:
        self.failures = failures
        first = failures[0]
        lost = next((f.error for f in failures if isinstance(f.error, ConnectionLost)), None)
        if lost is not None:
            super().__init__(str(lost))  # one sentence, not one per file never tried
            return
        refused = [f for f in failures if f.refused]
        if len(refused) >= REFUSALS_BEFORE_STOP:
            super().__init__(
                f"Stopped uploading after {len(refused)} files were refused, the first "
                f"'{refused[0].file.name}': {str(refused[0].error).rstrip('.')}. Nothing was "
                "switched: the manifest and the sync index are unchanged."
            )
            return
        super().__init__(
            f"{len(failures)} file{'s' if len(failures) != 1 else ''} failed to upload; "
            f"the first was '{first.file.name}': {str(first.error).rstrip('.')}. "
            "Nothing was switched: "
            "the manifest and the sync index are unchanged, so rerun to finish."
        )


def apply_plan(
    plan: Plan,
    index: SyncIndex,
    target: Target,
    *,
    made: Provenance,
    workers: int,
    on_uploaded: Callable[[StagedFile], None],
    warn: Callable[[str], None],
) -> SyncIndex:
    """Upload what the plan says; the manifest only once all content is remote."""
    uploaded: list[StagedFile] = []

    def record(staged: StagedFile) -> None:
        uploaded.append(staged)
        on_uploaded(staged)

    deleted: list[str] = []

    def upload(batch: list[StagedFile]) -> None:
        failures = upload_parallel(batch, target.content, workers=workers, on_uploaded=record)
        if failures:
            save_partial_index(target, index, uploaded, deleted, compressor=made.compressor)
            raise UploadFailed(failures)

    # New keys first: if one fails, no key the index describes has been overwritten yet.
    upload(plan.new)
    # Stale variants go before the names they belong to are overwritten, so that a variant
    # never holds other bytes than its name; a failure in between leaves a name without it.
    if plan.stale_variants:
        try:
            target.content.delete(plan.stale_variants)
        except RemoteError:
            # A rerun does the rest.
            save_partial_index(target, index, uploaded, compressor=made.compressor)
            raise
        deleted = plan.stale_variants
    upload(plan.changed)
    checkpoint()  # the last moment at which stopping leaves the site as it was
    if plan.manifest is not None:
        assert target.manifest is not None
        target.manifest.write(plan.manifest)
        on_uploaded(plan.manifest)

    def updated(generation: int) -> SyncIndex:
        return index.without(deleted).updated(
            plan.staged_content,
            plan.manifest,
            fingerprint=made.fingerprint,
            compressor=made.compressor,
            generation=generation,
            settings=made.settings,
            code=made.code,
            sources=made.sources,
            retiring=plan.retiring,
        )

    # A run that changes nothing about the record (e.g. --verify finding all in place) is not
    # a new deploy: counting it would make --prune drop the files of a release still running.
    if not plan.uploads and updated(index.generation) == index:
        return index
    return write_index(target, updated(index.generation + 1), warn)
