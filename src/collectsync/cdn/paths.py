"""The URL paths a release changed, and the fewest wildcards that cover them past a limit."""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

HASHED = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?(\.gz|\.br)?$")
"""A name Django's ManifestStaticFilesStorage hashed (``app.0123456789ab.css``), or a variant
of one: its bytes never change, so a CDN never needs telling."""


def is_hashed(name: str) -> bool:
    return HASHED.search(posixpath.basename(name)) is not None


def url_paths(names: Iterable[str], static_url: str) -> list[str]:
    """``names`` (relative to the storage) as URL paths under ``static_url``'s path."""
    base = urlsplit(static_url).path or "/"
    base = base if base.endswith("/") else base + "/"
    base = base if base.startswith("/") else "/" + base
    return sorted({base + quote(name, safe="/~") for name in names})


def covering(paths: list[str], limit: int) -> list[str]:
    """``paths`` if there are at most ``limit`` of them; else one wildcard (``/dir/*``) in
    place of the paths under the folder that brings the count within the limit while
    covering the fewest of them (the deepest, of equals), and the other paths as they are."""
    paths = sorted(set(paths))
    if len(paths) <= limit:
        return paths
    under: Counter[str] = Counter()
    for path in paths:
        folder = posixpath.dirname(path)
        while True:
            under[folder.rstrip("/") + "/"] += 1
            if folder in ("/", ""):
                break
            folder = posixpath.dirname(folder)
    enough = [f for f, count in under.items() if len(paths) - count + 1 <= limit]
    folder = min(enough, key=lambda f: (under[f], -f.count("/")))
    return sorted([p for p in paths if not p.startswith(folder)] + [folder + "*"])
