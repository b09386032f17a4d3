"""The floor of a deploy that finds little or nothing changed: start Python, set Django up,
list every source through the finders and md5 each one once. Nothing else.

Whatever a collectstatic tool does beyond this (a client, a request, the changed files' work)
is its own cost; the bench compares the no-change and one-file deploys with it.

Usage: python scripts/benchmark/lib/floor.py path/to/manage.py (settings as for the tools)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    manage = Path(argv[0]).resolve()
    sys.path[0] = str(manage.parent)  # as `python manage.py` would have it

    import django

    django.setup()
    from django.contrib.staticfiles.finders import get_finders

    ignore_patterns = ["CVS", ".*", "*~"]  # collectstatic's defaults
    count = 0
    for finder in get_finders():
        for path, storage in finder.list(ignore_patterns):
            with storage.open(path) as handle:
                hashlib.file_digest(handle, "md5")
            count += 1
    print(f"{count} sources listed and read")


if __name__ == "__main__":
    main(sys.argv[1:])
