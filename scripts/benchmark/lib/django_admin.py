"""A real Django upgrade of the admin's static files, for the rollback benchmark.

The admin's files come from the installed Django (its app directory). Written under the
corpus's folder, which Django's FileSystemFinder searches before the apps, those of an earlier
release shadow them: deploying with them, then without, is the static side of upgrading
Django from that release to the installed one. From 5.2 (the LTS) to 6.1 that changes 51 of
the admin's files, adds 8 and removes 5.

The earlier release's wheel is downloaded once with pip (so through whatever index the machine
uses) into ``~/.cache/collectsync-bench/django`` and checked against its pinned sha256.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

CACHE = Path.home() / ".cache" / "collectsync-bench" / "django"
EARLIER = "5.2.9"
WHEEL = f"django-{EARLIER}-py3-none-any.whl"
SHA256 = "3a4ea88a70370557ab1930b332fd2887a9f48654261cdffda663fef5976bb00a"  # PyPI's
STATIC = PurePosixPath("django/contrib/admin/static")


def wheel() -> Path:
    """The earlier Django's wheel in the cache, downloaded first if it isn't there."""
    path = CACHE / WHEEL
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        download = CACHE / "download"
        shutil.rmtree(download, ignore_errors=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        wanted = ["--only-binary", ":all:", "--dest", str(download), f"Django=={EARLIER}"]
        subprocess.run([*pip, *wanted], check=True)
        fetched = download / WHEEL
        if hashlib.sha256(fetched.read_bytes()).hexdigest() != SHA256:
            raise RuntimeError(f"{WHEEL} does not match its pinned sha256.")
        fetched.replace(path)
        shutil.rmtree(download, ignore_errors=True)
    return path


def shadow(root: Path) -> int:
    """Write the earlier Django's admin files under ``root`` (the corpus's folder, which
    Django searches before the admin's own); how many."""
    written = 0
    with zipfile.ZipFile(wheel()) as archive:
        for member in archive.infolist():
            name = PurePosixPath(member.filename)
            if member.is_dir() or not name.is_relative_to(STATIC):
                continue
            path = root / name.relative_to(STATIC)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(archive.read(member))
            written += 1
    return written


def upgrade(root: Path) -> None:
    """Take the earlier admin files away: the installed Django's are collected again."""
    shutil.rmtree(root / "admin")
