"""What a release holds, checked where users meet it.

``sdist PATH``: the LICENSE and the package are in the source archive, the tests are not.
``installed SRC``: in the environment that installed the wheel (not editable), every module of
SRC/collectsync, py.typed and the LICENSE are installed files of the distribution, nothing
else of ours is, and the package imports from there.
"""

from __future__ import annotations

import sys
import tarfile
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "django-collectsync"


def fail(message: str) -> None:
    raise SystemExit(f"release check: {message}")


def check_sdist(path: Path) -> None:
    with tarfile.open(path) as archive:
        names = {name.partition("/")[2] for name in archive.getnames()}
    for needed in ("LICENSE", "README.md", "pyproject.toml", "src/collectsync/py.typed"):
        if needed not in names:
            fail(f"{path.name} has no {needed}")
    tests = sorted(name for name in names if name.startswith("tests/"))
    if tests:
        fail(f"{path.name} holds tests ({tests[0]} ...)")
    print(f"   {path.name}: LICENSE, README.md, py.typed; no tests")


def check_installed(src: Path) -> None:
    import collectsync

    installed = Path(collectsync.__file__).resolve().parent
    if src.resolve() in installed.parents or installed == (src / "collectsync").resolve():
        fail(f"collectsync was imported from the checkout ({installed}), not the wheel")
    files = {str(file) for file in metadata.files(DISTRIBUTION) or []}
    modules = {
        f"collectsync/{path.relative_to(src / 'collectsync').as_posix()}"
        for path in (src / "collectsync").rglob("*.py")
    }
    missing = sorted(modules - files)
    if missing:
        fail(f"the wheel lacks {', '.join(missing)}")
    if "collectsync/py.typed" not in files:
        fail("the wheel lacks collectsync/py.typed")
    if not any(name.endswith("licenses/LICENSE") for name in files):
        fail("the wheel lacks the LICENSE")
    ours = {name for name in files if not name.startswith(("collectsync/", "django_collectsync"))}
    if ours:
        fail(f"the wheel installs files outside the package: {sorted(ours)}")
    print(f"   {len(modules)} modules, py.typed and LICENSE installed in {installed.parent}")


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ("sdist", "installed"):
        raise SystemExit(__doc__)
    if argv[0] == "sdist":
        check_sdist(Path(argv[1]))
    else:
        check_installed(Path(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
