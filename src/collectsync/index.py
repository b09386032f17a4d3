"""The sync index: collectsync's record, kept in the remote storage, of what the remote holds."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from collectsync.remote import Listed
from collectsync.staging import StagedFile

FORMAT = "collectsync-index"
VERSION = 1


class CorruptIndex(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    md5: str
    size: int
    source_md5: str | None = None
    """For a compressed variant (``x.css.gz``): the md5 of the file it was made from."""
    variants: tuple[str, ...] | None = None
    """For a file that was compressed: the suffixes of the variants that came out."""

    def to_json(self) -> list[Any]:
        variants = None if self.variants is None else list(self.variants)
        return [self.md5, self.size, self.source_md5, variants]

    @classmethod
    def from_json(cls, value: list[Any]) -> Entry:
        md5, size, source_md5, variants = value
        if not isinstance(md5, str) or not (source_md5 is None or isinstance(source_md5, str)):
            raise TypeError(f"bad entry {value!r}")
        return cls(md5, int(size), source_md5, None if variants is None else tuple(variants))


@dataclass(frozen=True)
class SyncIndex:
    files: dict[str, Entry] = field(default_factory=dict)
    """Every content file collectsync knows to be remote, by name relative to the location."""
    manifest_name: str | None = None
    manifest: Entry | None = None
    fingerprint: str | None = None
    """The input fingerprint of the deploy that wrote this index (see fingerprint.py)."""
    compressor: str | None = None
    """What made the compressed variants (see staging.compressor_identity)."""
    generation: int = 0
    """How many successful deploys wrote this index; a partial record names the one it follows."""

    @classmethod
    def from_listing(
        cls, listing: dict[str, Listed], manifest_name: str | None, own_names: set[str]
    ) -> SyncIndex:
        """A record rebuilt from what is remote, for buckets without a usable index."""
        files = {
            name: Entry(listed.md5, listed.size)
            for name, listed in listing.items()
            if listed.md5 is not None and name not in own_names and name != manifest_name
        }
        manifest = listing.get(manifest_name) if manifest_name else None
        if manifest is None or manifest.md5 is None:
            return cls(files)
        return cls(files, manifest_name, Entry(manifest.md5, manifest.size))

    def verified(self, listing: dict[str, Listed]) -> SyncIndex:
        """This index without the entries the listing contradicts (deleted or altered)."""

        def matches(name: str, entry: Entry) -> bool:
            listed = listing.get(name)
            return (
                listed is not None and listed.size == entry.size and listed.md5 in (None, entry.md5)
            )

        files = {name: entry for name, entry in self.files.items() if matches(name, entry)}
        keep_manifest = (
            self.manifest is not None
            and self.manifest_name is not None
            and matches(self.manifest_name, self.manifest)
        )
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
        """
        files = dict(theirs.files)
        for name, entry in self.files.items():
            if name not in files:
                files[name] = entry
            elif (files[name].md5, files[name].size) != (entry.md5, entry.size):
                del files[name]
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
            generation=max(self.generation, theirs.generation),
        )

    def holds(self, staged: StagedFile) -> bool:
        entry = self.files.get(staged.name)
        return entry is not None and entry.md5 == staged.md5 and entry.size == staged.size

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
    ) -> SyncIndex:
        """This index after ``remote`` (and ``manifest``, if given) were made remote."""
        files = dict(self.files)
        for staged in remote:
            variants = staged.variants
            old = files.get(staged.name)
            if variants is None and old is not None and old.md5 == staged.md5:
                variants = old.variants  # not compressed this time: what was made before stays
            files[staged.name] = Entry(staged.md5, staged.size, staged.source_md5, variants)
        if manifest is None:
            manifest_name, manifest_entry = self.manifest_name, self.manifest
        else:
            manifest_name, manifest_entry = manifest.name, Entry(manifest.md5, manifest.size)
        return SyncIndex(
            files, manifest_name, manifest_entry, fingerprint, compressor, self.generation
        )

    def to_bytes(self) -> bytes:
        document: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "manifest": None
            if self.manifest is None
            else {
                "name": self.manifest_name,
                "md5": self.manifest.md5,
                "size": self.manifest.size,
            },
            "fingerprint": self.fingerprint,
            "compressor": self.compressor,
            "generation": self.generation,
            "files": {name: entry.to_json() for name, entry in sorted(self.files.items())},
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> SyncIndex:
        try:
            document = json.loads(data)
            if document.get("format") != FORMAT or document.get("version") != VERSION:
                raise CorruptIndex("it is not a version 1 collectsync index")
            files = {str(name): Entry.from_json(value) for name, value in document["files"].items()}
            fingerprint, compressor = document["fingerprint"], document["compressor"]
            if not all(
                value is None or isinstance(value, str) for value in (fingerprint, compressor)
            ):
                raise CorruptIndex("its fingerprint or compressor is not a string")
            generation = int(document["generation"])
            manifest = document["manifest"]
            if manifest is None:
                return cls(
                    files, fingerprint=fingerprint, compressor=compressor, generation=generation
                )
            return cls(
                files,
                str(manifest["name"]),
                Entry(str(manifest["md5"]), int(manifest["size"])),
                fingerprint,
                compressor,
                generation,
            )
        except CorruptIndex:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise CorruptIndex(f"it could not be read ({error!r})") from error
