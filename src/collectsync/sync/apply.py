"""Publish: upload a plan's content, then the manifest, then the record, in that order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from collectsync.errors import ConnectionLost, DeployError, RemoteError
from collectsync.files import Entry, Provenance, StagedFile
from collectsync.index.releases import Release, Stamp, appended, archived_index_name
from collectsync.index.stored import RemoteIndex, Target, write_index
from collectsync.index.sync_index import SyncIndex
from collectsync.index.unfinished import begin_overwriting, save_partial_index
from collectsync.interrupts import checkpoint
from collectsync.sync.archive import archive_index, copy_all, plan_archiving
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


@dataclass(frozen=True)
class Applied:
    live: SyncIndex
    """The index as written: the new release's, or the one read if nothing changed."""
    overwritten: list[str]
    """The names whose bytes changed or went away (unhashed names, their variants and the
    manifest): what a CDN may still serve the old bytes of."""
    release: Release | None = None
    """The release this made live, if it made one."""


def apply_plan(
    plan: Plan,
    record: RemoteIndex,
    target: Target,
    *,
    made: Provenance,
    stamp: Stamp,
    workers: int,
    on_uploaded: Callable[[StagedFile], None],
    warn: Callable[[str], None],
) -> Applied:
    """Upload what the plan says; the manifest only once all content is remote."""
    index = record.index
    number = index.release_number + 1
    uploaded: list[StagedFile] = []

    def note(staged: StagedFile) -> None:
        uploaded.append(staged)
        on_uploaded(staged)

    deleted: list[str] = []

    def upload(batch: list[StagedFile]) -> None:
        failures = upload_parallel(batch, target.content, workers=workers, on_uploaded=note)
        if failures:
            save_partial_index(target, index, uploaded, deleted, compressor=made.compressor)
            raise UploadFailed(failures)

    # New keys first: if one fails, no key the index describes has been overwritten yet.
    upload(plan.new)
    current = overwritten(plan, index, target, made.compressor)
    # Only a recorded release can be rolled back to: without one, nothing needs the old bytes.
    kept = current if index.live_release else {}
    archiving = plan_archiving(index, kept, target.index_name, number)
    try:
        copy_all(target.content, archiving.copies, workers=workers)
    except RemoteError:
        save_partial_index(target, index, uploaded, compressor=made.compressor)
        raise
    if archiving.entries:  # in any partial record from here on, too
        index = dataclasses.replace(index, files=index.chunked.changed(archiving.entries))
    # Before the first name the index describes is overwritten: the live index copied aside
    # (while it is the version read), then written back naming what may change.
    archived: dict[str, Entry] | None = None
    meanwhile = None
    doubted = in_doubt(plan)
    if doubted:
        archived = archive_index(target, index, record.read_as)
        overwriting = begin_overwriting(target, record, doubted, archiving.entries)
        index = dataclasses.replace(index, doubt=overwriting.doubt)
        meanwhile = overwriting.meanwhile
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

    def updated(release_number: int) -> SyncIndex:
        return index.without(deleted).updated(
            plan.staged_content,
            plan.manifest,
            fingerprint=made.fingerprint,
            compressor=made.compressor,
            release_number=release_number,
            settings=made.settings,
            code=made.code,
            sources=made.sources,
            retiring=plan.retiring,
        )

    # A run that changes nothing about the record (e.g. --verify finding all in place) is not
    # a new deploy: counting it would make --prune drop the files of a release still running.
    if not plan.uploads and updated(index.release_number) == index:
        return Applied(index, [])
    if not plan.uploads and not deleted and updated(index.release_number) == described(index, made):
        # The same files from other inputs (a new setting, say): the record learns of them,
        # but nothing served changed, so it is no new release.
        return Applied(write_index(target, updated(index.release_number), warn, meanwhile), [])
    if archived is None:
        archived = archive_index(target, index, record.read_as)
    new = updated(number)
    release = stamp.release(
        number,
        new.manifest,
        uploaded=len(plan.uploads),
        unchanged=plan.staged_count + plan.reused - len(plan.uploads),
        deleted=len(deleted),
        copied=len(archiving.copies) + len(archived),
    )
    new = dataclasses.replace(
        new,
        files=new.chunked.changed(archived),
        releases=appended(index.releases, release),
    )
    written = write_index(target, new, warn, meanwhile)
    return Applied(written, sorted(current), written.live_release)


def overwritten(
    plan: Plan, index: SyncIndex, target: Target, compressor: str | None
) -> dict[str, Entry]:
    """What the plan overwrites or deletes whose bytes the index knows: the unhashed names
    whose content changes, their stale variants, and the manifest."""
    names = [f.name for f in plan.changed if not f.immutable and not index.holds(f, compressor)]
    current = {
        name: entry for name in names + plan.stale_variants if (entry := index.files.get(name))
    }
    manifest, old = plan.manifest, index.manifest
    if (
        manifest is not None
        and old is not None
        and target.manifest is target.content
        and index.manifest_name == manifest.name
        and not index.holds_manifest(manifest)
    ):
        current[manifest.name] = old
    return current


def would_write(plan: Plan, record: RemoteIndex, target: Target, made: Provenance) -> SyncIndex:
    """The index apply_plan() would write (less the files' own md5s, which it learns as it
    uploads): what a dry run's --prune plans against, archive entries included."""
    index = record.index
    number = index.release_number + 1
    current = overwritten(plan, index, target, made.compressor) if index.live_release else {}
    files = index.chunked.changed(plan_archiving(index, current, target.index_name, number).entries)
    if index.live_release is not None and record.read_as is not None:
        archived = archived_index_name(target.index_name, index.release_number)
        files = files.changed({archived: dataclasses.replace(record.read_as, left=number)})
    return dataclasses.replace(index, files=files).updated(
        plan.staged_content, plan.manifest, release_number=number, retiring=plan.retiring
    )


def in_doubt(plan: Plan) -> list[str]:
    """The names the plan writes over or deletes, which may hold either bytes (or none)
    if the run stops before its index is written."""
    names = [f.name for f in plan.changed] + plan.stale_variants
    return names + ([plan.manifest.name] if plan.manifest is not None else [])


def described(index: SyncIndex, made: Provenance) -> SyncIndex:
    """``index`` as if ``made`` had made the files it records."""
    return dataclasses.replace(
        index,
        fingerprint=made.fingerprint,
        compressor=made.compressor,
        settings=made.settings,
        code=made.code,
        sources=made.sources,
        doubt=None,
    )
