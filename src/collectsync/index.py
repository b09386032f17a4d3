"""The sync index: collectsync's record, kept in the remote storage, of what the remote holds."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from collectsync.staging import StagedFile

FORMAT = "collectsync-index"
VERSION = 1


class CorruptIndex(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    md5: str
    size: int


@dataclass(frozen=True)
class SyncIndex:
    files: dict[str, Entry] = field(default_factory=dict)
    """Every content file collectsync knows to be remote, by name relative to the location."""
    manifest_name: str | None = None
    manifest: Entry | None = None
    fingerprint: str | None = None
    """The input fingerprint of the deploy that wrote this index (see fingerprint.py)."""

    def holds(self, staged: StagedFile) -> bool:
        entry = self.files.get(staged.name)
        return entry is not None and entry.md5 == staged.md5 and entry.size == staged.size

    def holds_manifest(self, manifest: StagedFile) -> bool:
        return (
            self.manifest is not None
            and self.manifest_name == manifest.name
            and self.manifest == Entry(manifest.md5, manifest.size)
        )

    def updated(
        self,
        uploaded: Iterable[StagedFile],
        manifest: StagedFile | None,
        fingerprint: str | None = None,
    ) -> SyncIndex:
        files = dict(self.files)
        files.update((f.name, Entry(f.md5, f.size)) for f in uploaded)
        if manifest is None:
            return SyncIndex(files, self.manifest_name, self.manifest, fingerprint)
        return SyncIndex(files, manifest.name, Entry(manifest.md5, manifest.size), fingerprint)

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
            "files": {name: [entry.md5, entry.size] for name, entry in sorted(self.files.items())},
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> SyncIndex:
        try:
            document = json.loads(data)
            if document.get("format") != FORMAT or document.get("version") != VERSION:
                raise CorruptIndex("it is not a version 1 collectsync index")
            files = {
                str(name): Entry(str(md5), int(size))
                for name, (md5, size) in document["files"].items()
            }
            manifest = document["manifest"]
            fingerprint = document.get("fingerprint")
            if fingerprint is not None and not isinstance(fingerprint, str):
                raise CorruptIndex("its fingerprint is not a string")
            if manifest is None:
                return cls(files, fingerprint=fingerprint)
            return cls(
                files,
                str(manifest["name"]),
                Entry(manifest["md5"], int(manifest["size"])),
                fingerprint,
            )
        except CorruptIndex:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise CorruptIndex(f"it could not be read ({error!r})") from error
