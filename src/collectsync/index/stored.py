"""The sync index in the remote: read it, record a failed deploy's work, write it last."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from collectsync.errors import ConcurrentUpdate, DeployError, RemoteError
from collectsync.files import Entry, Listed, StagedFile, StagedSet
from collectsync.index.releases import archive_prefix
from collectsync.index.sync_index import SyncIndex
from collectsync.index.wire import CorruptIndex
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

    def requests(self) -> dict[str, int]:
        """Requests made so far, by operation, the manifest's remote included."""
        requests = Counter(self.content.requests)
        if self.manifest is not None and self.manifest is not self.content:
            requests.update(self.manifest.requests)
        return dict(requests)

    @property
    def own_names(self) -> set[str]:
        return {self.index_name, self.partial_name}

    def is_own(self, name: str) -> bool:
        """Whether collectsync keeps ``name``: the index, its partial record, the archive."""
        return name in self.own_names or name.startswith(archive_prefix(self.index_name))

    def refuse_own_names(self, names: Iterable[str]) -> None:
        reserved = {name for name in names if self.is_own(name)}
        if reserved:
            raise DeployError(
                f"A static file is named '{sorted(reserved)[0]}', which collectsync uses "
                "for its sync index; rename the file or set COLLECTSYNC_INDEX_NAME."
            )


@dataclass(frozen=True)
class RemoteIndex:
    index: SyncIndex
    listing: dict[str, Listed] | None = None
    """The listing the index was rebuilt from or checked against, if it was."""
    read_as: Entry | None = None
    """The md5 and size of the index as read, if there was one."""
    stored: SyncIndex | None = None
    """The index as read, names in doubt included (``index`` leaves them out), if there
    was a usable one: what a run that begins overwriting writes back with its doubt."""

    def is_new(self, name: str) -> bool:
        """Whether the remote has nothing under ``name``, as far as the record can tell."""
        return self.index.knows_nothing_of(name) and (
            self.listing is None or name not in self.listing
        )


def read_index(
    target: Target,
    *,
    verify: bool,
    warn: Callable[[str], None],
    inform: Callable[[str], None],
) -> RemoteIndex:
    """The remote record; rebuilt from a listing when missing or unusable, checked if asked."""
    data = target.content.read(target.index_name)
    read_as = None if data is None else Entry(hashlib.md5(data).hexdigest(), len(data))
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
        return RemoteIndex(trusted(index), read_as=read_as, stored=index)
    listing = target.content.listing()
    if listing is None:
        if index is None:
            return RemoteIndex(SyncIndex())
        return RemoteIndex(trusted(index), read_as=read_as, stored=index)
    if index is not None:
        return RemoteIndex(trusted(index).verified(listing), listing, read_as, index)
    same_remote = target.manifest is target.content
    own_names = {name for name in listing if target.is_own(name)}
    rebuilt = from_listing(listing, target.manifest_name if same_remote else None, own_names)
    if listing:
        inform(
            f"No usable sync index in {target.content.destination}: compared the staged "
            f"files with a listing of its {len(listing)} objects instead."
        )
    return RemoteIndex(rebuilt, listing)


def from_listing(
    listing: dict[str, Listed], manifest_name: str | None, own_names: set[str]
) -> SyncIndex:
    """A record rebuilt from what is remote, for buckets without a usable index."""
    files = {
        name: Entry(listed.md5, listed.size)
        for name, listed in listing.items()
        if listed.md5 is not None and name not in own_names and name != manifest_name
    }
    manifest = listing.get(manifest_name) if manifest_name else None
    if manifest is None or manifest.md5 is None:
        return SyncIndex(files)
    return SyncIndex(files, manifest_name, Entry(manifest.md5, manifest.size))


def confirmed(
    target: Target, record: RemoteIndex, staged: StagedSet, compressor: str | None, workers: int
) -> tuple[SyncIndex, list[str]]:
    """The record's index, vouching as well for the staged files that the listing showed
    under their names and size but could not vouch for (see Remote.confirm) and that the
    remote shows to hold the same bytes; and the names it could not tell about."""
    index, listing = record.index, record.listing
    if listing is None:
        return index, []
    manifest = staged.manifest if target.manifest is target.content else None

    def doubtful(file: StagedFile) -> bool:
        listed = listing.get(file.name)
        if listed is None or listed.size != file.size or listed.md5 == file.md5:
            return False
        return not (
            index.holds_manifest(file) if file is manifest else index.holds(file, compressor)
        )

    candidates = [f for f in [*staged.files, *([manifest] if manifest else [])] if doubtful(f)]
    held, unknown = target.content.confirm(candidates, workers=workers)
    # Entries for this deploy's plan alone: its record is written from what was staged.
    entries = {f.name: Entry(f.md5, f.size) for f in candidates if f.name in held}
    if manifest is not None and manifest.name in entries:
        entry = entries.pop(manifest.name)
        index = dataclasses.replace(index, manifest_name=manifest.name, manifest=entry)
    if entries:
        index = dataclasses.replace(index, files={**dict(index.files.items()), **entries})
    return index, unknown


def write_index(
    target: Target,
    index: SyncIndex,
    warn: Callable[[str], None],
    meanwhile: SyncIndex | None = None,
) -> SyncIndex:
    """Write ``index`` only over the version this deploy read; merge if another deploy won,
    or had already won when this one began overwriting (``meanwhile``, its record)."""
    if meanwhile is not None:
        index = merged(target, index, meanwhile, warn)
    for _ in range(MERGE_ATTEMPTS):
        try:
            target.content.write_bytes(target.index_name, index.to_bytes(), if_unchanged=True)
        except ConcurrentUpdate:
            data = target.content.read(target.index_name)
            theirs = SyncIndex() if data is None else SyncIndex.from_bytes(data)
            index = merged(target, index, theirs, warn)
        else:
            return index
    raise RemoteError(
        f"The sync index in {target.content.destination} kept changing while this deploy "
        f"ran ({MERGE_ATTEMPTS} attempts); wait for the other deploys to finish and rerun."
    )


def merged(
    target: Target, index: SyncIndex, theirs: SyncIndex, warn: Callable[[str], None]
) -> SyncIndex:
    warn(
        f"Another deploy updated the sync index in {target.content.destination} while "
        "this one ran; the two records were merged. The manifest written last is the "
        "live one: rerun this deploy if it must be live."
    )
    return index.merged_with(theirs)


def trusted(index: SyncIndex) -> SyncIndex:
    """``index`` as far as it can vouch: without the names in doubt (the manifest included),
    the doubt itself kept so that what was left out is known."""
    if index.doubt is None:
        return index
    names = index.doubt.names
    manifest_known = index.manifest_name is not None and index.manifest_name not in names
    return dataclasses.replace(
        index,
        files=index.chunked.changed({}, drop=[n for n in names if n in index.files]),
        manifest=index.manifest if manifest_known else None,
        amended=True,
    )
