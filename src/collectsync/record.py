"""The sync index in the remote: read it, record a failed deploy's work, write it last."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from collectsync.errors import ConcurrentUpdate, DeployError, RemoteError
from collectsync.index import SyncIndex
from collectsync.index_format import CorruptIndex
from collectsync.records import StagedFile
from collectsync.remote.base import Remote

MERGE_ATTEMPTS = 3


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

    @property
    def own_names(self) -> set[str]:
        return {self.index_name, self.partial_name}

    def refuse_own_names(self, files: list[StagedFile]) -> None:
        reserved = self.own_names & {f.name for f in files}
        if reserved:
            raise DeployError(
                f"A static file is named '{sorted(reserved)[0]}', which collectsync uses "
                "for its sync index; rename the file or set COLLECTSYNC_INDEX_NAME."
            )


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
    files = partial.files
    if index.compressor is not None and partial.compressor != index.compressor:
        # Variants recorded by their source were made by one compressor or the other.
        files = {name: entry for name, entry in files.items() if entry.md5 is not None}
    compressor = partial.compressor or index.compressor
    return dataclasses.replace(index, files=files, compressor=compressor, amended=True)


def save_partial_record(
    target: Target,
    index: SyncIndex,
    uploaded: list[StagedFile],
    deleted: list[str] | None = None,
    *,
    compressor: str | None,
) -> None:
    """Record what a failed deploy did: the files it uploaded, without those it deleted.

    The whole record, not just the changes, so that it can also forget deleted files.
    """
    partial = index.without(deleted or []).updated(
        uploaded, None, compressor=compressor, finished=False
    )
    # The deploy has failed already; if this fails too, the rerun just uploads them again.
    with contextlib.suppress(RemoteError):
        target.content.write_bytes(target.partial_name, partial.to_bytes())


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
