"""The sync index: collectsync's record, kept in the remote storage, of what the remote holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from collectsync.files import VARIANT_SUFFIXES, Entry, Listed, Source, StagedFile
from collectsync.index.chunks import variant_base
from collectsync.index.doubt import Doubt
from collectsync.index.recorded_files import Files
from collectsync.index.recorded_sources import RecordedSources
from collectsync.index.releases import Release, merged
from collectsync.index.wire import decode, encode


@dataclass(frozen=True)
class SyncIndex:
    files: Mapping[str, Entry] = field(default_factory=dict)
    """Every content file collectsync knows to be remote, by name relative to the location
    (read chunk by chunk as names are looked up: see chunks.py)."""
    manifest_name: str | None = None
    manifest: Entry | None = None
    fingerprint: str | None = None
    """The input fingerprint of the deploy that wrote this index (see stage/fingerprint.py)."""
    compressor: str | None = None
    """What made the compressed variants (see staging.compressor_identity)."""
    release_number: int = 0
    """The release this index describes (runs that changed the remote, rollbacks included)."""
    settings: str | None = None
    """The fingerprint of the settings and code alone (see stage/fingerprint.py)."""
    sources: Mapping[str, Source] | None = None
    """Each source file's md5, hashed name and references, when the record can vouch for
    them: what lets a deploy stage only what changed (see recorded_sources.py)."""
    code: dict[str, tuple[str, str]] | None = None
    """The code that shaped the output, part by part: (label, digest) (see code_identity.py)."""
    releases: tuple[Release, ...] = ()
    """The last releases, oldest first; the newest is live if its number is the release_number
    (see releases.py)."""
    doubt: Doubt | None = None  # what a run that has not ended may have overwritten (doubt.py)
    amended: bool = field(default=False, compare=False)
    """Whether a failed run or an earlier collectsync may have left files as no source made
    them (then they are checked against the sources), or names in doubt."""

    def __post_init__(self) -> None:
        if not isinstance(self.files, Files):
            object.__setattr__(self, "files", Files.of(self.files))
        if self.sources is not None:
            object.__setattr__(self, "sources", RecordedSources.of(self.sources))

    @property
    def chunked(self) -> Files:
        assert isinstance(self.files, Files)
        return self.files

    @property
    def recorded_sources(self) -> RecordedSources | None:
        assert self.sources is None or isinstance(self.sources, RecordedSources)
        return self.sources

    @property
    def live_count(self) -> int:
        """How many files the deploy that wrote this record has."""
        return self.chunked.live

    def verified(self, listing: dict[str, Listed]) -> SyncIndex:
        """This index without the entries the listing contradicts (deleted or altered)."""

        def matches(name: str, entry: Entry) -> bool:
            listed = listing.get(name)
            if listed is None or listed.size != entry.size:
                return False
            return listed.md5 is None or entry.md5 is None or listed.md5 == entry.md5

        files = {name: entry for name, entry in self.files.items() if matches(name, entry)}
        name, manifest = self.manifest_name, self.manifest
        keep_manifest = manifest is not None and name is not None and matches(name, manifest)
        return dataclasses.replace(
            self,
            files=files,
            manifest_name=self.manifest_name if keep_manifest else None,
            manifest=self.manifest if keep_manifest else None,
            fingerprint=None,
        )

    def merged_with(self, theirs: SyncIndex) -> SyncIndex:
        """What both this index and another deploy's, written meanwhile, can vouch for.

        Where the two disagree about a key, either upload may have landed last, so the key is
        left out and the next deploy uploads it again. The same goes for the manifest.
        The result is one deploy newer than theirs, and both deploys' files belong to it.
        """
        release_number = theirs.release_number + 1

        def renumbered(entry: Entry, index: SyncIndex) -> Entry:
            # A file either deploy has belongs to the merged one; the others keep their
            # last deploy.
            last = entry.last_release(index.release_number)
            left = None if last >= min(self.release_number, theirs.release_number) else last + 1
            return dataclasses.replace(entry, left=left)

        files = {name: renumbered(entry, theirs) for name, entry in theirs.files.items()}
        for name, entry in self.files.items():
            mine = renumbered(entry, self)
            if name not in files:
                files[name] = mine
            elif not files[name].same_content(mine):
                del files[name]
            else:
                files[name] = max(mine, files[name], key=lambda e: e.last_release(release_number))
        same_manifest = (self.manifest_name, self.manifest) == (
            theirs.manifest_name,
            theirs.manifest,
        )
        return SyncIndex(
            files,
            self.manifest_name if same_manifest else None,
            self.manifest if same_manifest else None,
            fingerprint=None,
            compressor=self.compressor if self.compressor == theirs.compressor else None,
            release_number=release_number,
            releases=merged(theirs.releases, self.releases, release_number),
            doubt=theirs.doubt,  # a run that began overwriting meanwhile may not have ended
        )  # and no sources: which deploy's staging they describe is unknown

    def knows_nothing_of(self, name: str) -> bool:
        """Whether neither ``name``, nor a variant of it, nor the name it is a variant of (and
        is served for) is recorded or in doubt."""
        names = [name, *(name + suffix for suffix in VARIANT_SUFFIXES), variant_base(name)]
        return not any(n in self.files or self.in_doubt(n) for n in names if n is not None)

    def in_doubt(self, name: str) -> bool:
        return self.doubt is not None and name in self.doubt

    def holds(self, staged: StagedFile, compressor: str | None = None) -> bool:
        """Whether the remote has ``staged``'s bytes under its name: the same md5, or for a
        variant recorded without one, made from the same bytes by the same compressor."""
        entry = self.files.get(staged.name)
        if entry is None or entry.size != staged.size:
            return False
        if entry.md5 is None:
            return (
                compressor is not None
                and self.compressor == compressor
                and entry.source_md5 == staged.source_md5
            )
        return entry.md5 == staged.md5

    def holds_manifest(self, manifest: StagedFile) -> bool:
        return (
            self.manifest is not None
            and self.manifest_name == manifest.name
            and (self.manifest.md5, self.manifest.size) == (manifest.md5, manifest.size)
        )

    def holds_variants_of(self, name: str, md5: str, compressor: str) -> bool:
        """Whether every compressed variant of ``name`` with content ``md5`` is remote."""
        entry = self.files.get(name)
        if self.compressor != compressor or entry is None or entry.md5 != md5:
            return False
        if entry.variants is None:
            return False
        for suffix in entry.variants:
            variant = self.files.get(name + suffix)
            if variant is None or variant.source_md5 != md5:
                return False
        return True

    def updated(
        self,
        remote: Iterable[StagedFile],
        manifest: StagedFile | None,
        *,
        fingerprint: str | None = None,
        compressor: str | None = None,
        release_number: int | None = None,
        settings: str | None = None,
        sources: Mapping[str, Source] | None = None,
        code: dict[str, tuple[str, str]] | None = None,
        retiring: Iterable[str] | None = (),
        finished: bool = True,
    ) -> SyncIndex:
        """This index after ``remote`` (and ``manifest``, if given) were made remote by the
        deploy numbered ``release_number`` (by default this index's own).

        ``retiring`` names the files of the last deploy that this one no longer has (None:
        all but ``remote``); the others stay, untouched. The files of an unfinished deploy
        (a failed one's partial record) belong to it only if the last one had them too.
        """
        release_number = self.release_number if release_number is None else release_number
        files = self.files
        put: dict[str, Entry] = {}
        carried: set[str] = set()

        def left(name: str) -> int | None:
            if finished:
                return None
            old = files.get(name)
            return None if old is not None and old.left is None else release_number + 1

        for staged in remote:
            variants = staged.variants
            old = files.get(staged.name)
            if variants is None and old is not None and old.md5 == staged.md5:
                variants = old.variants  # not compressed this time: what was made before stays
                for variant_name in [staged.name + suffix for suffix in variants or ()]:
                    variant, kept = files.get(variant_name), left(variant_name)
                    carried.add(variant_name)  # this deploy has it: not retiring
                    if variant is not None and variant.left != kept:
                        put[variant_name] = dataclasses.replace(variant, left=kept)
            put[staged.name] = Entry.of(staged, variants, left(staged.name))
        if retiring is None:
            retiring = [name for name, entry in files.items() if entry.left is None]
        for name in retiring:
            entry = files.get(name)
            if entry is not None and entry.left is None and name not in put and name not in carried:
                put[name] = dataclasses.replace(entry, left=release_number)
        written = (self.manifest_name, self.manifest)
        if manifest is not None:
            written = (manifest.name, Entry(manifest.md5, manifest.size))
        changed = self.chunked.changed(put)
        return SyncIndex(
            changed,
            *written,
            fingerprint,
            compressor,
            release_number,
            settings,
            sources,
            code,
            self.releases,
        )

    @property
    def live_release(self) -> Release | None:
        """The release this index describes, if it was recorded."""
        last = self.releases[-1] if self.releases else None
        return last if last is not None and last.number == self.release_number else None

    def without(self, names: Iterable[str]) -> SyncIndex:
        return dataclasses.replace(self, files=self.chunked.changed({}, drop=names))

    def to_bytes(self) -> bytes:
        written = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.compare}
        return encode(**written)

    @classmethod
    def from_bytes(cls, data: bytes) -> SyncIndex:
        return cls(**decode(data))
