"""A corpus of real front-end files: the built assets of packages Django sites ship, from npm.

The synthetic corpus (corpus.py) has few compressible bytes for its size (about 8.5 MB at
1,865 files); sites that vendor an editor, a CSS framework and an icon set have several times
that, and staging them with Whitenoise is mostly brotli. These packages, at pinned versions,
come to 1,712 files (1,842 sources with Django admin's), 30.0 MB of them compressible, 10,957
objects once staged: a tree shaped like a real project's, collected by Django's manifest
storage without a missing reference.

Each tarball is downloaded once from the npm registry into ``~/.cache/collectsync-bench/npm``
and checked against the registry's sha512 before it is used.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scripts.benchmark.lib.corpus import Corpus

CACHE = Path.home() / ".cache" / "collectsync-bench" / "npm"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity
    # (folder in the package, folder under vendor/, how many of its files, sorted by name)
    parts: tuple[tuple[str, str, int | None], ...]

    @property
    def tarball(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


PACKAGES = (
    Package(
        "tinymce",
        "8.9.2",
        "sha512-Qh6ADSC0x1F/KsrupfResNJFAaINJQBtfVjx5zxxWJ0ZrGtaKldtAXDMI6uEA57s2n+0rEtXmtbitiU4zV7+0Q==",
        (("", "tinymce", None),),
    ),
    Package(
        "bootstrap",
        "5.3.9",
        "sha512-20cU0rcfw8WdxtVbmfU+xT2EjvVTw9Ror/h1Qvd7DXCujRg8OO9mdBCsmTHdJFf3BuadmBNJtgIuUXsBqSkk/w==",
        (("dist", "bootstrap", None),),
    ),
    Package(
        "bootstrap-icons",
        "1.13.2",
        "sha512-fAU1Ly3dH7hwRg+CB8EZ0Vl0fF80zgXHeUVJyfUOKzoURr+TbwISbCW5tKUoQLERaWYG2emTCybcPbD96hdD1A==",
        (("font", "bootstrap-icons/font", None), ("icons", "bootstrap-icons/icons", 1200)),
    ),
    Package(
        "@fortawesome/fontawesome-free",
        "7.3.1",
        "sha512-wmglKKPDIkgV3aWlZzWECCPoGIkYCulzBwxG9+w7rc5BGapZ6cPMpoPOT8k36J0Ni7PPX6c/rsoMWfS4d1MUMg==",
        (("css", "fontawesome/css", None), ("webfonts", "fontawesome/webfonts", None)),
    ),
    Package(
        "jquery",
        "4.1.0",
        "sha512-tnN2N83S+xD3yhmdBP4nnJ1XOO0Fl586rG23FA5h/JAe8XN3W9a1zGwDMltBptn+UpcqEKicnO61+jQ0EiF2fw==",
        (("dist", "jquery", None),),
    ),
    Package(
        "leaflet",
        "1.9.4",
        "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        (("dist", "leaflet", None),),
    ),
    Package(
        "htmx.org",
        "4.0.1",
        "sha512-oF7JgXhDW9UXCy/k1ZYFUQgzu/rm19ORWPSPNL91vPluB2PB9+MV55tyQdH/w7o2EAbTYUG5SDW1R60mdkdqGg==",
        (("dist", "htmx", None),),
    ),
    Package(
        "select2",
        "4.1.0",
        "sha512-i9KalWOP4/LRRGc8+rj2krNm0ZqP14cV+j1TRCEBSsOhCPkKH8rYZ2MCRXcgvqIqN+llqGci0hj9aVkCMvL0+g==",
        (("dist", "select2", None),),
    ),
)


def downloaded(package: Package) -> Path:
    """The package's tarball in the cache, fetched first if it isn't there."""
    path = CACHE / f"{package.name.replace('/', '+')}-{package.version}.tgz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(package.tarball, timeout=120) as answer:
            data = answer.read()
        algorithm, _, expected = package.integrity.partition("-")
        digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
        if digest != expected:
            raise RuntimeError(f"{package.tarball} does not match its pinned {algorithm}.")
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
    return path


def assemble(root: Path) -> Corpus:
    """Write every package's chosen files under a fresh ``root``/vendor and describe them."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    written: list[str] = []
    for package in PACKAGES:
        with tarfile.open(downloaded(package)) as archive:
            members = {
                PurePosixPath(member.name).relative_to("package"): member
                for member in archive.getmembers()
                if member.isfile()
            }
            for folder, target, limit in package.parts:
                chosen = sorted(name for name in members if name.is_relative_to(folder))
                for name in chosen[:limit]:
                    relative = f"vendor/{target}/{name.relative_to(folder)}"
                    source = archive.extractfile(members[name])
                    assert source is not None  # a regular file
                    path = root / relative
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(source.read())
                    written.append(relative)
    return Corpus(root=root, files=tuple(written), large=(), seed=0)
