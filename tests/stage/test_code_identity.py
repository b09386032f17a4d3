from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import django
import pytest

from collectsync.index.sync_index import SyncIndex
from collectsync.stage import code_identity
from collectsync.stage.code_identity import (
    DJANGO,
    WHITENOISE,
    code_parts,
    module_sources,
    what_changed,
)
from tests.support.project import INDEX_KEY, Project, run_command

real_version = code_identity.package_version
real_sources = code_identity.module_sources


def labelled(monkeypatch: pytest.MonkeyPatch, distribution: str, label: str) -> None:
    """As if another release of ``distribution`` were installed, its code unchanged."""
    monkeypatch.setattr(
        code_identity,
        "package_version",
        lambda name: label if name == distribution else real_version(name),
    )


def edited(monkeypatch: pytest.MonkeyPatch, module: str, copy: Path) -> None:
    """As if ``module`` were installed with one of its files changed: a real copy, read as
    collectsync reads the installed one."""
    files = {}
    for name, path in real_sources(module).items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        files[name] = shutil.copy(path, copy / name)
    with Path(files["storage.py"]).open("a") as storage:
        storage.write("\n# a patch release's fix\n")
    monkeypatch.setattr(
        code_identity,
        "module_sources",
        lambda name: (
            {n: Path(p) for n, p in files.items()} if name == module else real_sources(name)
        ),
    )


def deploy_reporting(tmp_path: Path, name: str) -> tuple[str, dict[str, Any]]:
    report = tmp_path / f"{name}.json"
    out, _ = run_command("--noinput", "--json-report", str(report))
    return out, json.loads(report.read_text())


def test_the_code_is_read_from_the_installed_packages() -> None:
    parts = code_parts()

    assert parts[DJANGO][0] == django.get_version()
    assert "storage.py" in module_sources("django.contrib.staticfiles")
    assert "compress.py" in module_sources("whitenoise")
    assert len({parts[DJANGO][1], parts[WHITENOISE][1]}) == 2
    assert code_parts() == parts


def test_what_changed_names_the_part_and_the_versions() -> None:
    before = {DJANGO: ("6.1.2", "a"), WHITENOISE: ("6.9.0", "b")}

    assert what_changed(before, before) is None
    assert what_changed(before, {**before, DJANGO: ("6.1.3", "a")}) is None
    assert (
        what_changed(before, {**before, DJANGO: ("6.2", "c")})
        == "Django's staticfiles code changed (6.1.2 → 6.2)"
    )
    assert what_changed(before, {**before, WHITENOISE: ("6.9.0", "d")}) == (
        "Whitenoise's code changed"
    )


def test_a_django_patch_release_with_the_same_staticfiles_code_stages_only_what_changed(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_command("--noinput")
    labelled(monkeypatch, "django", "99.0.1")
    (project.source / "js/app.js").write_text("var upgraded = true;")

    out, files = deploy_reporting(tmp_path, "upgrade")

    assert "Staging every file" not in out
    assert files["staged_files"] == 3  # app.js, its hashed copy and the manifest ...
    assert files["reused_files"] > files["staged_files"]  # ... the rest from the record


def test_changed_staticfiles_code_stages_every_file_and_says_so(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_command("--noinput")
    edited(monkeypatch, "django.contrib.staticfiles", tmp_path / "staticfiles")
    labelled(monkeypatch, "django", "99.0.1")
    (project.source / "js/app.js").write_text("var upgraded = true;")

    out, files = deploy_reporting(tmp_path, "upgrade")

    assert [line for line in out.splitlines() if line.startswith("Staging every")] == [
        f"Staging every file: Django's staticfiles code changed ({django.get_version()} → 99.0.1)."
    ]
    assert files["reused_files"] == 0
    again, _ = run_command("--noinput")
    assert "Nothing changed" in again


def test_a_whitenoise_release_with_the_same_compression_code_recompresses_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_command("--noinput")
    edited(monkeypatch, "whitenoise", tmp_path / "whitenoise")
    labelled(monkeypatch, "whitenoise", "99.0.0")

    out, files = deploy_reporting(tmp_path, "upgrade")

    assert "Staging every file: Whitenoise's code changed" in out
    compressed = [
        e
        for e in SyncIndex.from_bytes(project.read(INDEX_KEY)).files.values()
        if e.variants is not None
    ]
    assert files["uploaded_files"] == 0
    assert files["compression_skipped"] == len(compressed) > 0
