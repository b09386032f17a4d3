"""Sync: read the remote record, then upload content, the manifest and the record, in order."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from collectsync.index import CorruptIndex, SyncIndex
from collectsync.plan import Plan
from collectsync.prune import plan_pruning
from collectsync.remote import ConcurrentUpdate, Remote, RemoteError
from collectsync.staging import StagedFile
from collectsync.upload import Failure, upload_parallel

MERGE_ATTEMPTS = 3


class UploadFailed(Exception):
    def __init__(self, failures: list[Failure]) -> None:
        self.failures = failures
        first = failures[0]
        super().__init__(
            f"{len(failures)} file{'s' if len(failures) != 1 else ''} failed to upload; "
            f"the first was '{first.file.name}': {str(first.error).rstrip('.')}. "
            "Nothing was switched: "
            "the manifest and the sync index are unchanged, so rerun to finish."
        )


@dataclass(frozen=True)
class Target:
    """Where one deploy goes: content files, the manifest and the record."""

    content: Remote
    index_name: str
    manifest: Remote | None = None
    manifest_name: str | None = None

    @property
    def partial_name(self) -> str:
        """What a failed deploy did upload, so that a rerun need not upload it again."""
        return f"{self.index_name}.partial"


def read_index(
    target: Target,
    *,
    verify: bool,
    warn: Callable[[str], None],
    inform: Callable[[str], None],
) -> SyncIndex:
    """The remote record; rebuilt from a listing when missing or unusable, checked if asked."""
    data = target.content.read(target.index_name)
    index = None
    if data is not None:
        try:
            index = SyncIndex.from_bytes(data)
        except CorruptIndex as error:
            warn(
                f"The sync index '{target.index_name}' in {target.content.destination} is "
                f"unusable ({error}); it will be rebuilt."
            )
    if index is not None and not verify:
        return index
    listing = target.content.listing()
    if listing is None:
        return index or SyncIndex()
    if index is not None:
        return index.verified(listing)
    same_remote = target.manifest is target.content
    own_names = {target.index_name, target.partial_name}
    rebuilt = SyncIndex.from_listing(
        listing, target.manifest_name if same_remote else None, own_names
    )
    if listing:
        inform(
            f"No usable sync index in {target.content.destination}: compared the staged "
            f"files with a listing of its {len(listing)} objects instead."
        )
    return rebuilt


def with_partial_record(target: Target, index: SyncIndex) -> SyncIndex:
    """``index`` plus the files a failed deploy since it uploaded, if one did."""
    data = target.content.read(target.partial_name)
    if data is None:
        return index
    try:
        partial = SyncIndex.from_bytes(data)
    except CorruptIndex:
        return index  # it only ever saves work done; without it that work is simply redone
    if partial.generation != index.generation:
        return index  # written before the last successful deploy, so out of date
    return dataclasses.replace(index, files=partial.files)


def save_partial_record(
    target: Target,
    index: SyncIndex,
    uploaded: list[StagedFile],
    deleted: list[str] | None = None,
) -> None:
    """Record what a failed deploy did: the files it uploaded, without those it deleted.

    The whole record, not just the changes, so that it can also forget deleted files.
    """
    partial = index.without(deleted or []).updated(uploaded, None)
    # The deploy has failed already; if this fails too, the rerun just uploads them again.
    with contextlib.suppress(RemoteError):
        target.content.write_bytes(target.partial_name, partial.to_bytes())


def apply_plan(
    plan: Plan,
    index: SyncIndex,
    target: Target,
    *,
    fingerprint: str | None,
    compressor: str | None,
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
            save_partial_record(target, index, uploaded, deleted)
            raise UploadFailed(failures)

    # New keys first: if one fails, no key the index describes has been overwritten yet.
    upload(plan.new)
    # Stale variants go before the names they belong to are overwritten, so that a variant
    # never holds other bytes than its name; a failure in between leaves a name without it.
    if plan.stale_variants:
        try:
            target.content.delete(plan.stale_variants)
        except RemoteError:
            save_partial_record(target, index, uploaded)  # the rerun deletes what is left
            raise
        deleted = plan.stale_variants
    upload(plan.changed)
    if plan.manifest is not None:
        assert target.manifest is not None
        target.manifest.write(plan.manifest)
        on_uploaded(plan.manifest)

    def updated(generation: int) -> SyncIndex:
        return index.without(deleted).updated(
            plan.staged_content,
            plan.manifest,
            fingerprint=fingerprint,
            compressor=compressor,
            generation=generation,
        )

    # A run that changes nothing about the record (e.g. --verify finding all in place) is not
    # a new deploy: counting it would make --prune drop the files of a release still running.
    if not plan.uploads and updated(index.generation) == index:
        return index
    return write_index(target, updated(index.generation + 1), warn)


def write_index(target: Target, index: SyncIndex, warn: Callable[[str], None]) -> SyncIndex:
    """Write ``index`` only over the version this deploy read; merge if another deploy won."""
    for _ in range(MERGE_ATTEMPTS):
        try:
            target.content.write_bytes(target.index_name, index.to_bytes(), if_unchanged=True)
        except ConcurrentUpdate:
            data = target.content.read(target.index_name)
            theirs = SyncIndex() if data is None else SyncIndex.from_bytes(data)
            index = index.merged_with(theirs)
            warn(
                f"Another deploy updated the sync index in {target.content.destination} while "
                "this one ran; the two records were merged. The manifest written last is the "
                "live one: rerun this deploy if it must be live."
            )
        else:
            return index
    raise RemoteError(
        f"The sync index in {target.content.destination} kept changing while this deploy "
        f"ran ({MERGE_ATTEMPTS} attempts); wait for the other deploys to finish and rerun."
    )


def prune(
    target: Target,
    index: SyncIndex,
    *,
    keep_deploys: int,
    dry_run: bool,
    warn: Callable[[str], None],
) -> list[str]:
    """Delete what belongs to none of the last ``keep_deploys`` deploys; return those names.

    ``index`` must be the record of the live deploy, already written. The record is rewritten
    without the stale files before any is deleted, so it never vouches for a deleted file.
    """
    protected = {target.index_name, target.partial_name}
    if target.manifest is target.content and target.manifest_name:
        protected.add(target.manifest_name)
    pruning = plan_pruning(
        index, target.content.names(), keep_deploys=keep_deploys, protected=protected
    )
    if dry_run:
        return pruning.stale
    if pruning.index != index:
        try:
            target.content.write_bytes(
                target.index_name, pruning.index.to_bytes(), if_unchanged=True
            )
        except ConcurrentUpdate:
            warn(
                f"Another deploy updated the sync index in {target.content.destination} while "
                "this one ran, so nothing was pruned; run --prune again once it has finished."
            )
            return []
    target.content.delete(pruning.stale)
    return pruning.stale
