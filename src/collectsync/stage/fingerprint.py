"""The input fingerprint: one hash of everything that determines what staging produces.

When it matches the one recorded by the last successful deploy, staging would produce the very
files the remote already holds, so collectsync can skip staging altogether.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from collectsync.conf import conf
from collectsync.files import Provenance, Source
from collectsync.stage.code_identity import CodePart, code_parts
from collectsync.stage.sources import Listing, Read


def output_settings(
    code: dict[str, CodePart], *, post_process: bool, manifest_name: str | None
) -> dict[str, Any]:
    """The settings, options and code, other than the source files, that change the output."""
    return {
        "code": {name: digest for name, (_, digest) in code.items()},
        **output_shape(post_process=post_process, manifest_name=manifest_name),
    }


def output_shape(*, post_process: bool, manifest_name: str | None) -> dict[str, Any]:
    """The settings and options, not the code, that change the output."""
    whitenoise = {
        name: repr(getattr(settings, name))
        for name in dir(settings)
        if name.startswith("WHITENOISE_")
    }
    return {
        "local_storage": conf.LOCAL_STORAGE,
        "local_storage_options": repr(sorted(conf.LOCAL_STORAGE_OPTIONS.items())),
        "static_url": str(settings.STATIC_URL),
        "whitenoise": whitenoise,
        "post_process": post_process,
        "manifest_name": manifest_name,
    }


@dataclass(frozen=True)
class Inputs:
    fingerprint: str
    """One hash of the settings and of every source's path and md5."""
    settings: str
    """The hash of the settings and code alone."""
    read: Read
    """The sources as listed and read."""
    code: dict[str, CodePart]
    """The code that shapes the output, part by part (see stage/code_identity.py)."""

    @property
    def sources(self) -> dict[str, str]:
        """Each source file's md5, by the path collect() would give it."""
        return self.read.md5s

    @property
    def conflicts(self) -> list[str]:
        return self.read.conflicts

    @property
    def listing(self) -> Listing:
        return self.read.listing

    @property
    def source_count(self) -> int:
        return len(self.sources)

    def provenance(self, compressor: str, sources: Mapping[str, Source] | None) -> Provenance:
        """What a record keeps of these inputs, with the compressor and the sources' record."""
        return Provenance(self.fingerprint, self.settings, self.code, compressor, sources)


def input_fingerprint(read: Read, *, post_process: bool, manifest_name: str | None) -> Inputs:
    code = code_parts()
    options = output_settings(code, post_process=post_process, manifest_name=manifest_name)
    settings_digest = hashlib.sha256(json.dumps(options, sort_keys=True).encode())
    digest = settings_digest.copy()
    for prefixed, md5 in read.md5s.items():
        digest.update(f"\0{prefixed}\0{md5}".encode())
    return Inputs(digest.hexdigest(), settings_digest.hexdigest(), read, code)
