"""The package's shape: imports run one way, records sit on the ground floor, modules stay short."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "collectsync"
GROUND_FLOOR = {
    f"collectsync.{name}"
    for name in ("files", "errors", "conf", "progress", "allocator", "interrupts")
}
LONGEST_MODULE = 250


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_imports(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module of the package that ``source``, the text of ``module``, imports, wherever
    the import statement is (inside functions and ``if TYPE_CHECKING:`` blocks included), a
    relative import read as the module it names."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        imported |= {name for name in names if name.startswith("collectsync")}
    return imported


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {
    name: {
        imported
        for imported in package_imports(
            path.read_text(), name, is_package=path.name == "__init__.py"
        )
        if imported in MODULES
    }
    - {name}
    for name, path in MODULES.items()
}


@pytest.mark.parametrize(
    ("source", "module", "is_package", "imported"),
    [
        (
            "from collectsync.files import StagedFile",
            "collectsync.sync.plan",
            False,
            {"collectsync.files", "collectsync.files.StagedFile"},
        ),
        (
            "from .plan import Plan",
            "collectsync.sync.apply",
            False,
            {"collectsync.sync.plan", "collectsync.sync.plan.Plan"},
        ),
        (
            "from ..files import StagedFile",
            "collectsync.sync.apply",
            False,
            {"collectsync.files", "collectsync.files.StagedFile"},
        ),
        (
            "from . import upload",
            "collectsync.sync",
            True,
            {"collectsync.sync", "collectsync.sync.upload"},
        ),
        ("import os", "collectsync.sync.plan", False, set()),
    ],
)
def test_every_import_is_read_as_the_module_it_names(
    source: str, module: str, is_package: bool, imported: set[str]
) -> None:
    assert package_imports(source, module, is_package=is_package) == imported


def test_there_is_no_import_circle() -> None:
    # A package imports its __init__ first, so a module importing its own package's
    # __init__ from below would close a circle through it: those arrows count too.
    try:
        graphlib.TopologicalSorter(GRAPH).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"Import circle: {' -> '.join(error.args[1])}")


def test_the_ground_floor_imports_nothing_of_the_package() -> None:
    assert {name: GRAPH[name] for name in GROUND_FLOOR} == {name: set() for name in GROUND_FLOOR}


def test_no_module_is_longer_than_one_sitting() -> None:
    lengths = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: n for name, n in lengths.items() if n > LONGEST_MODULE} == {}


def test_the_command_is_thin() -> None:
    command = MODULES["collectsync.management.commands.collectstatic"]
    assert len(command.read_text().splitlines()) <= 150
