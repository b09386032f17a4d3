"""What a run that writes to the remote leaves for the next one if it stops part way: before its
first overwrite, the names it may overwrite, in the index itself (see doubt.py); when it fails,
a partial record of what it did (``<index>.partial``), so that the next run neither does that
again nor trusts what the index says of a name the run may have overwritten."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collectsync.errors import ConcurrentUpdate, RemoteError
from collectsync.files import Entry, StagedFile
from collectsync.index.doubt import Doubt, same_attempt
from collectsync.index.stored import MERGE_ATTEMPTS, RemoteIndex, Target
from collectsync.index.sync_index import SyncIndex
from collectsync.index.wire import CorruptIndex


@dataclass(frozen=True)
class Overwriting:
    doubt: Doubt | None
    """What the index now names as in doubt; None where no index vouches for anything."""
    meanwhile: SyncIndex | None = None
    """Another deploy's record, written after this run read the index: the index this run
    writes at the end is merged with it."""


def with_partial_index(target: Target, index: SyncIndex) -> SyncIndex:
    """``index`` plus what a run that failed since did, if one did."""
    data = target.content.read(target.partial_name)
    if data is None:
        return index
    try:
        partial = SyncIndex.from_bytes(data)
    except CorruptIndex:
        return index  # it only ever saves work done; without it that work is simply redone
    if partial.release_number != index.release_number:
        return index  # written before the last successful deploy, so out of date
    files: Mapping[str, Entry] = partial.chunked
    if index.doubt is not None and not same_attempt(partial.doubt, index.doubt):
        # A run that began overwriting since may have overwritten what it says of them.
        doubted = [n for n in index.doubt.names if n in files]
        files = partial.chunked.changed({}, drop=doubted)
    if index.compressor is not None and partial.compressor != index.compressor:
        # Variants recorded by their source were made by one compressor or the other.
        files = {name: entry for name, entry in files.items() if entry.md5 is not None}
    compressor = partial.compressor or index.compressor
    return dataclasses.replace(index, files=files, compressor=compressor, amended=True)


def save_partial_index(
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
    if not uploaded and not deleted:
        return  # nothing that a partial record written before, if any, doesn't say
    partial = index.without(deleted or []).updated(
        uploaded, None, compressor=compressor, finished=False
    )
    write_partial(target, dataclasses.replace(partial, doubt=index.doubt))


def write_partial(target: Target, partial: SyncIndex) -> None:
    """Write what a failed run leaves for the next: ``partial``, whose doubt is the one the
    index names (it is believed about the names in doubt only while the two agree)."""
    # The run has failed already; if this fails too, the next run just does the work again.
    with contextlib.suppress(RemoteError):
        target.content.write_bytes(target.partial_name, partial.to_bytes())


def begin_overwriting(
    target: Target,
    record: RemoteIndex,
    names: Iterable[str],
    archived: Mapping[str, Entry],
) -> Overwriting:
    """Before the first overwrite of a name the index describes: write the index back, as
    read, with the ``archived`` copies just made, naming ``names`` (and what an earlier run
    left in doubt) as in doubt."""
    index = record.stored
    if index is None:
        return Overwriting(None)  # the next run compares with a listing, as this one did
    names = list(names)
    meanwhile = None
    for _ in range(MERGE_ATTEMPTS):
        doubt = Doubt.begun(names, index.doubt)
        files = index.chunked.changed(archived) if archived else index.files
        try:
            target.content.write_bytes(
                target.index_name,
                dataclasses.replace(index, files=files, doubt=doubt).to_bytes(),
                if_unchanged=True,
            )
        except ConcurrentUpdate:
            # Another deploy wrote meanwhile: its record, with this run's doubt added.
            data = target.content.read(target.index_name)
            index = meanwhile = SyncIndex() if data is None else SyncIndex.from_bytes(data)
        else:
            return Overwriting(doubt, meanwhile)
    raise RemoteError(
        f"The sync index in {target.content.destination} kept changing while this run went "
        f"on ({MERGE_ATTEMPTS} attempts); wait for the other deploys to finish and rerun."
    )
