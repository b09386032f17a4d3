"""Sync: read the remote record, then upload content, the manifest and the record, in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from collectsync.index import CorruptIndex, SyncIndex
from collectsync.plan import Plan
from collectsync.remote import Remote
from collectsync.staging import StagedFile
from collectsync.upload import Failure, upload_parallel


class UploadFailed(Exception):
    def __init__(self, failures: list[Failure]) -> None:
        self.failures = failures
        first = failures[0]
        super().__init__(
            f"{len(failures)} file{'s' if len(failures) != 1 else ''} failed to upload; "
            f"the first was '{first.file.name}': {first.error}. Nothing was switched: "
            "the manifest and the sync index are unchanged, so rerun to finish."
        )


@dataclass(frozen=True)
class Target:
    """Where one deploy goes: content files, the manifest and the record."""

    content: Remote
    index_name: str
    manifest: Remote | None = None
    manifest_name: str | None = None


def read_index(target: Target, warn: Callable[[str], None]) -> SyncIndex:
    data = target.content.read(target.index_name)
    if data is None:
        return SyncIndex()
    try:
        return SyncIndex.from_bytes(data)
    except CorruptIndex as error:
        warn(
            f"The sync index '{target.index_name}' in {target.content.destination} is "
            f"unusable ({error}); every staged file will be uploaded."
        )
        return SyncIndex()


def apply_plan(
    plan: Plan,
    index: SyncIndex,
    target: Target,
    *,
    fingerprint: str | None,
    compressor: str | None,
    workers: int,
    on_uploaded: Callable[[StagedFile], None],
) -> SyncIndex:
    """Upload what the plan says; the manifest only once all content is remote."""
    failures = upload_parallel(
        plan.content, target.content, workers=workers, on_uploaded=on_uploaded
    )
    if failures:
        raise UploadFailed(failures)
    if plan.manifest is not None:
        assert target.manifest is not None
        target.manifest.write(plan.manifest.name, plan.manifest.path, plan.manifest.md5)
        on_uploaded(plan.manifest)
    updated = index.updated(
        plan.staged_content, plan.manifest, fingerprint=fingerprint, compressor=compressor
    )
    if plan.uploads or updated != index:
        target.content.write_bytes(target.index_name, updated.to_bytes())
    return updated
