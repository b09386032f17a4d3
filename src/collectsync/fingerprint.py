"""The input fingerprint: one hash of everything that determines what staging produces.

When it matches the one recorded by the last successful deploy, staging would produce the very
files the remote already holds, so collectsync can skip staging altogether.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders

from collectsync.conf import conf

OUTPUT_PACKAGES = ("django", "whitenoise", "brotli", "django-collectsync")


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def output_settings(*, post_process: bool, manifest_name: str | None) -> dict[str, Any]:
    """The settings and options, other than the source files, that change the output."""
    whitenoise = {
        name: repr(getattr(settings, name))
        for name in dir(settings)
        if name.startswith("WHITENOISE_")
    }
    return {
        "versions": {name: package_version(name) for name in OUTPUT_PACKAGES},
        "local_storage": conf.LOCAL_STORAGE,
        "local_storage_options": repr(sorted(conf.LOCAL_STORAGE_OPTIONS.items())),
        "static_url": str(settings.STATIC_URL),
        "whitenoise": whitenoise,
        "post_process": post_process,
        "manifest_name": manifest_name,
    }


def found_files(
    ignore_patterns: Iterable[str], conflicts: list[str] | None = None
) -> Iterable[tuple[str, Any, str]]:
    """(prefixed path, storage, path) of each file collect() would copy, first one winning;
    the paths of the files it would skip for another with the same path go to ``conflicts``."""
    patterns = list(ignore_patterns)
    seen: set[str] = set()
    for finder in get_finders():
        for path, storage in finder.list(patterns):
            prefix = getattr(storage, "prefix", None)
            # The same join as collect(), so names match what it copies.
            prefixed = os.path.join(prefix, path) if prefix else path  # noqa: PTH118
            if prefixed not in seen:
                seen.add(prefixed)
                yield prefixed, storage, path
            elif conflicts is not None:
                conflicts.append(prefixed)


@dataclass(frozen=True)
class Inputs:
    fingerprint: str
    source_count: int
    conflicts: list[str]
    """Paths found more than once: only the first is collected, as collect() does."""


def input_fingerprint(
    ignore_patterns: Iterable[str], *, post_process: bool, manifest_name: str | None
) -> Inputs:
    digest = hashlib.sha256()
    options = output_settings(post_process=post_process, manifest_name=manifest_name)
    digest.update(json.dumps(options, sort_keys=True).encode())
    count = 0
    conflicts: list[str] = []
    found = sorted(found_files(ignore_patterns, conflicts), key=lambda f: f[0])
    for prefixed, storage, path in found:
        with storage.open(path) as handle:
            content = hashlib.file_digest(handle, "md5").hexdigest()
        digest.update(f"\0{prefixed}\0{content}".encode())
        count += 1
    return Inputs(digest.hexdigest(), count, conflicts)
