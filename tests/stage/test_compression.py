"""Compression: each content once, a source named like a variant, and reporting files only
once they are final."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from whitenoise.compress import Compressor

from tests.support.project import (
    CSS_RULES,
    INDEX_KEY,
    LOCATION,
    Project,
    RequestLog,
    run_command,
    stock_whitenoise_tree,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.mark.parametrize(
    ("source", "skip"),
    [
        # Whitenoise writes its variant of data.js over the source data.js.gz.
        ("js/data.js", ["gz"]),
        # Whitenoise compresses no CSS: the source data.css.gz stays as it is.
        ("css/data.css", ["css", "gz"]),
    ],
)
def test_a_source_named_like_a_variant_is_uploaded_once_as_stock_whitenoise_leaves_it(
    project: Project,
    settings: SettingsWrapper,
    request_log: RequestLog,
    staging_parent: Path,
    tmp_path: Path,
    source: str,
    skip: list[str],
) -> None:
    settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = skip
    (project.source / source).write_text(CSS_RULES)
    (project.source / f"{source}.gz").write_bytes(b"a source of its own")

    out, _ = run_command("--noinput", "--keep-local")

    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    kept = Path(re.findall(r"Staged files kept in '([^']+)'", out)[0])
    staged = {
        p.relative_to(kept).as_posix(): p.read_bytes() for p in kept.rglob("*") if p.is_file()
    }
    assert staged == expected
    assert (project.source / f"{source}.gz").read_bytes() == b"a source of its own"
    assert project.object_keys() == {f"{LOCATION}/{name}" for name in expected} | {INDEX_KEY}
    assert {name: project.read(f"{LOCATION}/{name}") for name in expected} == expected
    puts = [key for method, _, key in request_log.requests if method == "PUT"]
    assert puts.count(f"{LOCATION}/{source}.gz") == 1


def test_each_content_is_compressed_once_and_the_bucket_is_a_full_collects(
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Whitenoise leaves .txt alone here: the same bytes as a .js are compressed under one
    # extension only, and must not be taken for its twin.
    settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ["txt"]
    (project.source / "js/copy.js").write_bytes((project.source / "js/app.js").read_bytes())
    (project.source / "js/app.txt").write_bytes((project.source / "js/app.js").read_bytes())
    compressed: list[tuple[str, str]] = []
    compress = Compressor.compress

    def counted(compressor: Compressor, path: str) -> Any:
        with open(path, "rb") as handle:
            compressed.append((hashlib.md5(handle.read()).hexdigest(), Path(path).suffix))
        return compress(compressor, path)

    monkeypatch.setattr(Compressor, "compress", counted)

    run_command("--noinput")

    monkeypatch.setattr(Compressor, "compress", compress)
    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    # app.js, its hashed copy, copy.js and its hashed copy: four names, one content.
    assert sorted(compressed) == sorted(set(compressed))
    app_js = hashlib.md5((project.source / "js/app.js").read_bytes()).hexdigest()
    assert compressed.count((app_js, ".js")) == 1
    assert project.object_keys() == {f"{LOCATION}/{name}" for name in expected} | {INDEX_KEY}
    assert {name: project.read(f"{LOCATION}/{name}") for name in expected} == expected
