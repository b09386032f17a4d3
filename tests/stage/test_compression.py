"""Compression: a source named like a variant, and reporting files only once they are final."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

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
