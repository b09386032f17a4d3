"""Django's own staticfiles test suite, with collectsync installed above django.contrib.staticfiles.

Runs `tests/runtests.py staticfiles_tests` from the source release of the Django installed beside
collectsync (downloaded once into the cache), with "collectsync" put first in the suite's
INSTALLED_APPS, so that its collectstatic command is the one every test calls. Exits non-zero
when a test fails that is not one of DIFFERENCES, collectsync's documented design differences
from Django's command (docs/how-it-works.md).

    python scripts/support/django_suite.py      # with the interpreter of the environment to test
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import django

DIFFERENCES = {
    "staticfiles_tests.test_management.TestCollectionNeverCopyStorage"
    ".test_skips_newer_files_in_remote_storage": (
        "collectsync compares content, not modification times, so it does not print "
        "\"Skipping '...' (not modified)\" for a remote storage"
    ),
}
CACHE = Path(
    os.environ.get("COLLECTSYNC_CACHE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "collectsync"
)
INSTALLED_APPS = '    "INSTALLED_APPS": [\n        "django.contrib.staticfiles",\n'
FAILURE_HEADER = re.compile(r"^(FAIL|ERROR): (\S+) \(([^)\s]+)\)", re.MULTILINE)


def source_release(version: str) -> Path:
    """Django's sdist for ``version``, downloaded into the cache the first time."""
    folder = CACHE / "django-source"
    found = sorted(folder.glob(f"[dD]jango-{version}.tar.gz"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip, "--no-binary", ":all:", "--dest", str(folder), f"Django=={version}"], check=True
    )
    found = sorted(folder.glob(f"[dD]jango-{version}.tar.gz"))
    if not found:
        sys.exit(f"pip downloaded no source release of Django {version} into {folder}.")
    return found[0]


def extract_tests(release: Path, into: Path) -> Path:
    with tarfile.open(release) as archive:
        members = [m for m in archive.getmembers() if m.name.split("/")[1:2] == ["tests"]]
        archive.extractall(into, members=members, filter="data")
    return next(into.iterdir()) / "tests"


def install_collectsync_first(tests: Path) -> None:
    settings = tests / "staticfiles_tests" / "settings.py"
    text = settings.read_text()
    if INSTALLED_APPS not in text:
        sys.exit(
            f"{settings} no longer lists django.contrib.staticfiles first in INSTALLED_APPS; "
            "update INSTALLED_APPS in scripts/support/django_suite.py to match it."
        )
    first = INSTALLED_APPS.replace("[\n", '[\n        "collectsync",\n')
    settings.write_text(text.replace(INSTALLED_APPS, first))


def failed_tests(output: str) -> set[str]:
    """The dotted names of the tests unittest reports as failed or errored."""
    failed = set()
    for _, method, where in FAILURE_HEADER.findall(output):
        # Python 3.11 and later put the whole name in the parentheses.
        failed.add(where if where.endswith(f".{method}") else f"{where}.{method}")
    return failed


def main() -> int:
    version = django.get_version()
    with tempfile.TemporaryDirectory(prefix="collectsync-django-suite-") as work:
        tests = extract_tests(source_release(version), Path(work))
        install_collectsync_first(tests)
        run = subprocess.run(
            [sys.executable, "runtests.py", "staticfiles_tests", "--parallel", "1", "--noinput"],
            cwd=tests,
            capture_output=True,
            text=True,
        )
    output = run.stdout + run.stderr
    failed = failed_tests(output)
    ran = re.search(r"^Ran (\d+) tests?", output, re.MULTILINE)
    unexplained = sorted(failed - DIFFERENCES.keys())
    if ran is None or unexplained or (run.returncode != 0 and not failed):
        print(output)
        print(f"Django {version}'s staticfiles tests failed with collectsync installed:")
        for name in unexplained or ["(the run itself: see its output above)"]:
            print(f"  {name}")
        return 1
    for name in sorted(DIFFERENCES.keys() - failed):
        print(f"Note: {name} passes now; it is listed as a design difference in {__file__}.")
    print(
        f"Django {version}'s staticfiles tests with collectsync installed: {ran[1]} ran, "
        f"{len(failed)} failed as documented ({', '.join(sorted(failed)) or 'none'})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
