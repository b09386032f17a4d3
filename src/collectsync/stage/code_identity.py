"""What shapes the staged bytes besides the sources and settings: the code that stages them.

A version label is coarser than needed: Django's staticfiles code is byte for byte the same
across most patch releases, yet a label in the fingerprint would make each of them stage every
file again. So the code itself is digested, read from the installed packages at run time (a few
dozen small files), and the label is kept only to say what changed. What no source file shows
(Brotli's and zlib's versions, Python's) is taken by its version.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import zlib
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from collectsync.conf import conf

CodePart = tuple[str, str]
"""(label, digest): the version people know it by, and what actually decides."""

DJANGO = "Django's staticfiles code"
WHITENOISE = "Whitenoise's code"


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def module_sources(name: str) -> dict[str, Path]:
    """The Python files of the module or package ``name`` by their names within it; none if
    it isn't installed."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return {}
    if spec is None:
        return {}
    if spec.submodule_search_locations:
        return {
            path.relative_to(location).as_posix(): path
            for location in spec.submodule_search_locations
            for path in Path(location).rglob("*.py")
        }
    origin = Path(spec.origin or "")
    return {origin.name: origin} if origin.suffix == ".py" else {}


def code_digest(module: str) -> str:
    # Relative names: the same code installed elsewhere is the same code.
    digest = hashlib.sha256()
    for name, path in sorted(module_sources(module).items()):
        digest.update(f"\0{name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def plain(label: str) -> CodePart:
    """Something whose version is all there is to know about it."""
    return label, label


def code_parts() -> dict[str, CodePart]:
    """Everything other than sources and settings that the staged bytes follow from."""
    parts = {
        DJANGO: (package_version("django"), code_digest("django.contrib.staticfiles")),
        WHITENOISE: (package_version("whitenoise"), code_digest("whitenoise")),
    }
    storage_module = conf.LOCAL_STORAGE.rpartition(".")[0]
    if not storage_module.startswith(("django.contrib.staticfiles.", "whitenoise.")):
        parts[f"the module of COLLECTSYNC_LOCAL_STORAGE ({storage_module})"] = (
            storage_module,
            code_digest(storage_module),
        )
    parts["Brotli"] = plain(package_version("brotli"))
    parts["zlib"] = plain(zlib.ZLIB_RUNTIME_VERSION)
    parts["Python"] = plain(f"{sys.version_info.major}.{sys.version_info.minor}")
    parts["collectsync"] = plain(package_version("django-collectsync"))
    return parts


def what_changed(before: Mapping[str, CodePart], now: Mapping[str, CodePart]) -> str | None:
    """'Django's staticfiles code changed (6.1.3 → 6.2)', or None if no part did."""
    for name, (label, digest) in now.items():
        old = before.get(name)
        if old is None:
            return f"{name} is new since the last deploy"
        if old[1] != digest:
            versions = f" ({old[0]} → {label})" if old[0] != label else ""
            return f"{name} changed{versions}"
    gone = next((name for name in before if name not in now), None)
    return None if gone is None else f"{gone} is no longer used"
