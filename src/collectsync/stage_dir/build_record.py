"""The build record: what ``--stage-only`` staged into a directory, written there last.

Plain JSON, so that a pipeline can read it too. It holds every staged file's md5, size and
what it was made from, the settings that shaped them, and what the sync index needs so that
publishing writes the same record a deploy from the sources would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectsync import __version__
from collectsync.errors import DeployError
from collectsync.files import Provenance, Source, StagedFile

FORMAT = "collectsync-stage"
VERSION = 1


class IncompatibleStage(DeployError):
    """The record is not one this collectsync can read."""


@dataclass(frozen=True)
class BuildRecord:
    made: Provenance
    shape: Mapping[str, Any]
    """The settings and options other than code that shaped the files (see stage/fingerprint.py)."""
    files: Mapping[str, StagedFile]
    """Every staged file but the manifest, each at its place in the stage."""
    manifest: StagedFile | None = None
    source_count: int = 0
    built_by: str = __version__

    @property
    def every_file(self) -> dict[str, StagedFile]:
        """The files and the manifest."""
        manifest = {self.manifest.name: self.manifest} if self.manifest else {}
        return {**self.files, **manifest}

    def to_bytes(self) -> bytes:
        made = self.made
        document = {
            "format": FORMAT,
            "version": VERSION,
            "collectsync": self.built_by,
            "fingerprint": made.fingerprint,
            "settings": made.settings,
            "code": None if made.code is None else {k: list(v) for k, v in made.code.items()},
            "compressor": made.compressor,
            "shape": dict(self.shape),
            "source_count": self.source_count,
            "manifest": None
            if self.manifest is None
            else [self.manifest.name, self.manifest.md5, self.manifest.size],
            "files": {name: file_row(file) for name, file in sorted(self.files.items())},
            "sources": None
            if made.sources is None
            else {
                name: [s.md5, s.hashed, list(s.refs)] for name, s in sorted(made.sources.items())
            },
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes, where: str, tree: Path) -> BuildRecord:
        """The record in ``data``, read from ``where``, of the files in ``tree``;
        IncompatibleStage if it is none."""
        try:
            document = json.loads(data)
            found = (document.get("format"), document.get("version"))
        except (ValueError, AttributeError) as error:
            raise IncompatibleStage(
                f"The build record '{where}' could not be read ({error}); build the stage "
                "again with collectstatic --stage-only."
            ) from error
        if found != (FORMAT, VERSION):
            built_by = document.get("collectsync", "an unknown version")
            raise IncompatibleStage(
                f"The stage '{where}' was built by collectsync {built_by}, whose build record "
                f"this collectsync ({__version__}) can't read; build it again with this version."
            )
        try:
            return decode(document, tree)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise IncompatibleStage(
                f"The build record '{where}' is damaged ({error!r}); build the stage again "
                "with collectstatic --stage-only."
            ) from error


def file_row(file: StagedFile) -> list[Any]:
    variants = None if file.variants is None else list(file.variants)
    return [file.md5, file.size, file.source_md5, variants, file.immutable]


def decode(document: dict[str, Any], tree: Path) -> BuildRecord:
    files = {}
    for name, (md5, size, source_md5, variants, immutable) in document["files"].items():
        variants = None if variants is None else tuple(str(v) for v in variants)
        name = str(name)
        files[name] = StagedFile(
            name, tree / name, str(md5), int(size), source_md5, variants, bool(immutable)
        )
    sources = document["sources"]
    if sources is not None:
        sources = {
            str(name): Source(str(md5), hashed, tuple(str(ref) for ref in refs))
            for name, (md5, hashed, refs) in sources.items()
        }
    code = document["code"]
    if code is not None:
        code = {str(name): (str(label), str(digest)) for name, (label, digest) in code.items()}
    made = Provenance(
        fingerprint=document["fingerprint"],
        settings=document["settings"],
        code=code,
        compressor=document["compressor"],
        sources=sources,
    )
    manifest = None
    if document["manifest"] is not None:
        name, md5, size = document["manifest"]
        manifest = StagedFile(str(name), tree / str(name), str(md5), int(size))
    return BuildRecord(
        made=made,
        shape=dict(document["shape"]),
        files=files,
        manifest=manifest,
        source_count=int(document["source_count"]),
        built_by=str(document["collectsync"]),
    )
