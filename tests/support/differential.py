"""Seeded random edits of a static tree, each deploy compared with a full Whitenoise collect of
the same sources, byte for byte."""

from __future__ import annotations

import io
import posixpath
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as DjangoCommand,
)
from django.core.management import call_command
from django.core.management.base import CommandError

from collectsync.stage.collect import explain_failure
from tests.support.project import (
    LOCATION,
    WHITENOISE,
    Deployed,
    run_command,
    stock_whitenoise_tree,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


RULES = "".join(f".r{i} {{ margin: {i}px; color: #{i:06x}; }}\n" for i in range(40))


@dataclass
class Stylesheet:
    imports: list[str] = field(default_factory=list)
    urls: list[tuple[str, str]] = field(default_factory=list)
    """(target, what follows the path: a query string, a fragment or nothing)."""
    body: str = RULES


@dataclass
class Tree:
    """A static tree whose stylesheets are rendered from a model, so edits keep references
    consistent unless an edit means to break one."""

    root: Path
    rng: random.Random
    binaries: set[str] = field(default_factory=set)
    stylesheets: dict[str, Stylesheet] = field(default_factory=dict)
    scripts: set[str] = field(default_factory=set)

    def write(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def binary(self, name: str) -> None:
        self.binaries.add(name)
        self.write(name, b"\x89BIN" + self.rng.randbytes(self.rng.choice([40, 300, 2000])))

    def stylesheet(self, name: str, sheet: Stylesheet) -> None:
        self.stylesheets[name] = sheet
        folder = posixpath.dirname(name)
        lines = [f'@import "{posixpath.relpath(target, folder)}";' for target in sheet.imports]
        lines += [
            f'.u{i} {{ background: url("{posixpath.relpath(target, folder)}{tail}"); }}'
            for i, (target, tail) in enumerate(sheet.urls)
        ]
        self.write(name, ("\n".join(lines) + "\n" + sheet.body).encode())

    def script(self, name: str, body: str) -> None:
        self.scripts.add(name)
        mapped = f"\n//# sourceMappingURL={posixpath.basename(name)}.map\n"
        self.write(name, (body + mapped).encode())
        self.write(f"{name}.map", f'{{"version":3,"sources":["{body[:8]}"]}}'.encode())

    def referenced(self) -> set[str]:
        return {
            t
            for sheet in self.stylesheets.values()
            for t, _ in sheet.urls + [(i, "") for i in sheet.imports]
        }

    def rerender_referrers(self, old: str, new: str) -> None:
        for name, sheet in self.stylesheets.items():
            if any(target == old for target, _ in sheet.urls) or old in sheet.imports:
                sheet.urls = [(new if t == old else t, tail) for t, tail in sheet.urls]
                sheet.imports = [new if t == old else t for t in sheet.imports]
                self.stylesheet(name, sheet)


def initial_tree(root: Path, rng: random.Random) -> Tree:
    tree = Tree(root, rng)
    for name in ["img/a.png", "img/b.png", "img/icons/c.svg", "fonts/f.woff2", "img/unused.gif"]:
        tree.binary(name)
    tree.stylesheet("css/parts/deep/colors.css", Stylesheet(urls=[("img/icons/c.svg", "#shape")]))
    tree.stylesheet(
        "css/parts/vars.css",
        Stylesheet(imports=["css/parts/deep/colors.css"], urls=[("img/b.png", "")]),
    )
    tree.stylesheet(
        "css/base.css",
        Stylesheet(
            imports=["css/parts/vars.css"],
            urls=[("img/a.png", "?v=1#top"), ("fonts/f.woff2", "?#iefix")],
        ),
    )
    tree.stylesheet("css/theme.css", Stylesheet(urls=[("img/a.png", "")], body="/*t*/"))
    tree.script("js/app.js", "function app() { return 1; }\n" * 30)
    tree.script("js/lib/util.js", "var util = 2;")
    return tree


def edit(tree: Tree) -> tuple[str, str | None]:
    """Apply one random edit; returns its description and, for an edit that must fail,
    the file to put back afterwards."""
    rng = tree.rng
    kind = rng.choice(
        [
            "image",
            "css-body",
            "css-new",
            "css-ref",
            "delete",
            "delete-referenced",
            "rename",
            "script",
            "compressibility",
        ]
    )
    if kind == "image":
        name = rng.choice(sorted(tree.binaries))
        tree.binary(name)
    elif kind == "css-body":
        name = rng.choice(sorted(tree.stylesheets))
        sheet = tree.stylesheets[name]
        sheet.body += f".e{rng.randrange(10**6)} {{ top: 1px; }}\n"
        tree.stylesheet(name, sheet)
    elif kind == "css-new":
        name = f"css/{rng.choice(['', 'parts/', 'new/deeper/'])}n{rng.randrange(10**6)}.css"
        urls = [(t, rng.choice(["", "?x=2", "#f"])) for t in rng.sample(sorted(tree.binaries), 2)]
        imports = rng.sample(sorted(tree.stylesheets), 1)
        tree.stylesheet(name, Stylesheet(imports=imports, urls=urls))
    elif kind == "css-ref":
        name = rng.choice(sorted(tree.stylesheets))
        tree.stylesheets[name].urls.append((rng.choice(sorted(tree.binaries)), "?q=1"))
        tree.stylesheet(name, tree.stylesheets[name])
    elif kind == "delete":
        candidates = sorted(tree.binaries - tree.referenced())
        if not candidates:
            return edit(tree)
        name = rng.choice(candidates)
        tree.binaries.discard(name)
        (tree.root / name).unlink()
    elif kind == "delete-referenced":
        name = rng.choice(sorted(tree.binaries & tree.referenced()))
        saved = tree.root.parent / "saved"
        shutil.copy(tree.root / name, saved)
        (tree.root / name).unlink()
        return f"{kind} {name}", name
    elif kind == "rename":
        old = rng.choice(sorted(tree.binaries))
        new = posixpath.join(
            posixpath.dirname(old), f"r{rng.randrange(10**6)}-" + posixpath.basename(old)
        )
        (tree.root / old).rename(tree.root / new)
        tree.binaries = (tree.binaries - {old}) | {new}
        tree.rerender_referrers(old, new)
        name = f"{old} -> {new}"
    elif kind == "script":
        name = rng.choice(sorted(tree.scripts))
        tree.script(name, f"var s = {rng.randrange(10**6)};\n" * rng.choice([1, 30]))
    else:
        name = rng.choice(sorted(tree.stylesheets))
        sheet = tree.stylesheets[name]
        sheet.body = "/*x*/" if len(sheet.body) > 10 else RULES
        tree.stylesheet(name, sheet)
    return f"{kind} {name}", None


def check_against_full_collect(project: Deployed, settings: SettingsWrapper, out_dir: Path) -> None:
    expected = stock_whitenoise_tree(settings, out_dir)
    prefix = f"{LOCATION}/"
    remote = {key.removeprefix(prefix) for key in project.object_keys()}
    missing = sorted(set(expected) - remote)
    assert missing == []
    differing = sorted(n for n, data in expected.items() if project.read(prefix + n) != data)
    assert differing == []
    sources = {
        p.relative_to(project.source).as_posix() for p in project.source.rglob("*") if p.is_file()
    }
    for name in sources:
        variants = {name + suffix for suffix in (".br", ".gz")}
        assert variants & remote == variants & set(expected), name


def deploy_like_full_collect(
    project: Deployed, settings: SettingsWrapper, out_dir: Path, must_fail: bool
) -> str:
    if not must_fail:
        out, _ = run_command("--noinput")
        check_against_full_collect(project, settings, out_dir)
        return out
    storages = settings.STORAGES
    settings.STORAGES = {**storages, "staticfiles": {"BACKEND": WHITENOISE}}
    settings.STATIC_ROOT = str(out_dir)
    with pytest.raises((ValueError, CommandError)) as stock:
        call_command(DjangoCommand(), interactive=False, verbosity=0, stderr=io.StringIO())
    settings.STORAGES = storages
    with pytest.raises(CommandError) as ours:
        run_command("--noinput")
    assert str(ours.value) == explain_failure(stock.value)
    return ""


def differential_run(
    project: Deployed, settings: SettingsWrapper, tmp_path: Path, seed: int, steps: int
) -> None:
    rng = random.Random(seed)
    shutil.rmtree(project.source)
    tree = initial_tree(project.source, rng)
    run_command("--noinput")
    check_against_full_collect(project, settings, tmp_path / "full-0")
    for step in range(1, steps + 1):
        done, restore = edit(tree)
        out = deploy_like_full_collect(project, settings, tmp_path / f"full-{step}", bool(restore))
        assert "Staging every file" not in out, (seed, step, done)
        assert restore or "reused from the last deploy without staging" in out, (seed, step)
        if restore is not None:
            shutil.copy(tree.root.parent / "saved", tree.root / restore)
