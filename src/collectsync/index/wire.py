"""The sync index on the wire: gzip members of JSON, one after the other (``zcat`` shows them).

First the head (fingerprints, release number, manifest, and the length of every other member),
then the sources (see recorded_sources.py), then the files in chunks (see chunks.py). A
deploy that changes nothing reads the head alone; one that changes a few files reads the
sources and the chunks of those files, and writes again only what changed. About 1.5 MB
at 20,000 sources.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Mapping
from typing import Any

from collectsync.files import Entry, Source
from collectsync.index.chunks import DAMAGE, GZIP_LEVEL, Chunk, CorruptIndex
from collectsync.index.doubt import Doubt
from collectsync.index.recorded_files import Files
from collectsync.index.recorded_sources import RecordedSources, unpack_changes
from collectsync.index.releases import Release

FORMAT = "collectsync-index"
VERSION = 3

__all__ = ["CorruptIndex", "decode", "encode"]


def encode(
    *,
    files: Files,
    manifest_name: str | None,
    manifest: Entry | None,
    fingerprint: str | None,
    compressor: str | None,
    release_number: int,
    settings: str | None,
    sources: Mapping[str, Source] | None,
    code: Mapping[str, tuple[str, str]] | None,
    releases: tuple[Release, ...] = (),
    doubt: Doubt | None = None,
) -> bytes:
    recorded = None if sources is None else RecordedSources.of(sources)
    sources_members = (b"", b"") if recorded is None else recorded.packed_members()
    chunks = files.packed_for(recorded)
    head = {
        "format": FORMAT,
        "version": VERSION,
        "manifest": None
        if manifest is None
        else {"name": manifest_name, "md5": manifest.md5, "size": manifest.size},
        "fingerprint": fingerprint,
        "compressor": compressor,
        "generation": release_number,  # the key of the first records, kept so all can read it
        "settings": settings,
        "code": None if code is None else {name: list(part) for name, part in code.items()},
        "releases": [release.to_json() for release in releases],
        "doubt": None if doubt is None else doubt.to_json(),
        "sources": None if recorded is None else [len(member) for member in sources_members],
        "chunks": [
            [len(chunk.packed or b""), chunk.count, chunk.live, int(chunk.leans)]
            for chunk in chunks
        ],
    }
    text = json.dumps(head, separators=(",", ":")).encode()
    head_member = gzip.compress(text, compresslevel=GZIP_LEVEL, mtime=0)
    return b"".join([head_member, *sources_members, *(chunk.packed or b"" for chunk in chunks)])


def decode(data: bytes) -> dict[str, Any]:
    """The fields of the index ``data`` holds, its files and sources still unread; raises
    CorruptIndex for anything else."""
    try:
        if data[:2] == b"\x1f\x8b":
            reader = zlib.decompressobj(wbits=31)  # stops at the end of the first member
            head = json.loads(reader.decompress(data))
            if not reader.eof:
                raise EOFError("the record ends early")
            rest = reader.unused_data
        else:
            head, rest = json.loads(data), b""
        if head.get("format") != FORMAT or head.get("version") not in (2, VERSION):
            raise CorruptIndex(f"it is not a version {VERSION} collectsync index")
        fields = scalars(head)
        if head["version"] == 2:
            return {**fields, **legacy_contents(head, fields["release_number"])}
        sources_lengths = [] if head["sources"] is None else [int(n) for n in head["sources"]]
        lengths = [int(row[0]) for row in head["chunks"]]
        if sum(lengths) + sum(sources_lengths) != len(rest) or not lengths:
            raise CorruptIndex("its length is not the length its head gives")
        sources = None
        if sources_lengths:
            base, changes = sources_lengths
            changed = unpack_changes(rest[base : base + changes])
            sources = RecordedSources(packed=rest[:base], changes=changed)
        chunks, offset = [], sum(sources_lengths)
        for length, count, live, leans in [map(int, row) for row in head["chunks"]]:
            packed = rest[offset : offset + length]
            chunks.append(
                Chunk(
                    packed=packed,
                    sources=sources,
                    leans=leans == 1,
                    count=int(count),
                    live=int(live),
                )
            )
            offset += length
        return {
            **fields,
            "files": Files(tuple(chunks)),
            "sources": sources,
        }
    except CorruptIndex:
        raise
    except DAMAGE as error:
        raise CorruptIndex(f"it could not be read ({error!r})") from error


def scalars(head: dict[str, Any]) -> dict[str, Any]:
    texts = [head[key] for key in ("fingerprint", "compressor")]
    texts.append(head.get("settings"))  # absent from records before 0.2
    if not all(value is None or isinstance(value, str) for value in texts):
        raise CorruptIndex("its fingerprint, compressor or settings is not a string")
    code = head.get("code")  # absent from records before 0.2
    if code is not None:
        code = {str(name): (str(label), str(digest)) for name, (label, digest) in code.items()}
    manifest = head["manifest"]
    return {
        "manifest_name": None if manifest is None else str(manifest["name"]),
        "manifest": None
        if manifest is None
        else Entry(str(manifest["md5"]), int(manifest["size"])),
        "fingerprint": texts[0],
        "compressor": texts[1],
        "release_number": int(head["generation"]),
        "settings": texts[2],
        "code": code,
        # absent from records before 0.3
        "releases": tuple(Release.from_json(r) for r in head.get("releases") or ()),
        "doubt": Doubt.from_json(head.get("doubt")),  # absent from older records
    }


def legacy_contents(document: dict[str, Any], release_number: int) -> dict[str, Any]:
    """The files and sources of a version 2 record (collectsync 0.2), which kept each file's
    last deploy instead of the first without it, and left out a source's md5 when its file
    had it."""
    files = {}
    for name, (md5, size, source_md5, variants, deployed) in document["files"].items():
        if md5 is None and source_md5 is None:
            raise TypeError(f"bad entry for {name!r}")
        left = None if int(deployed) == release_number else int(deployed) + 1
        variants = None if variants is None else tuple(variants)
        files[str(name)] = Entry(md5, int(size), source_md5, variants, left)
    sources = document.get("sources")
    if sources is None:
        return {"files": Files.of(files), "sources": None, "amended": True}
    names = list(sources)
    recorded = {}
    for name, (md5, hashed, refs) in sources.items():
        md5 = md5 or (files[name].md5 if name in files else None)
        if not isinstance(md5, str):
            raise TypeError(f"bad source {name!r}")
        refs = tuple(names[ref] if isinstance(ref, int) else str(ref) for ref in refs)
        recorded[str(name)] = Source(md5, hashed, refs)
    # Checked against the sources by the next deploy: an earlier collectsync wrote them.
    return {"files": Files.of(files), "sources": recorded, "amended": True}
