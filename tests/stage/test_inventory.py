"""Scan: what staging wrote, and which of it compression made."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.project import CSS_RULES, LOCATION, Project, run_command, stock_whitenoise_tree

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def test_a_source_named_like_a_variant_is_not_taken_for_one(project: Project) -> None:
    """``data.css.gz`` next to ``data.css`` is a source of its own: a change to it is
    uploaded even when its size and its neighbour stay the same."""
    (project.source / "data.css").write_text(CSS_RULES)
    # Whitenoise skips .gz files, so it makes no data.css.gz of its own: only this source.
    project.settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ["css", "gz"]
    (project.source / "data.css.gz").write_bytes(b"first bytes")
    run_command("--noinput")

    (project.source / "data.css.gz").write_bytes(b"other bytes")
    run_command("--noinput")

    assert project.read(f"{LOCATION}/data.css.gz") == b"other bytes"


def test_a_variant_written_over_a_source_of_that_name_leaves_the_source_alone(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    (project.source / "data.css").write_text(CSS_RULES)
    (project.source / "data.css.gz").write_bytes(b"a source of its own")

    run_command("--noinput")

    assert (project.source / "data.css.gz").read_bytes() == b"a source of its own"
    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert expected["data.css.gz"] != b"a source of its own"  # Whitenoise wrote its variant
    assert project.read(f"{LOCATION}/data.css.gz") == expected["data.css.gz"]
    (project.source / "data.css.gz").write_bytes(b"changed, alone")

    run_command("--noinput")

    expected = stock_whitenoise_tree(settings, tmp_path / "stock-2")
    assert project.read(f"{LOCATION}/data.css.gz") == expected["data.css.gz"]
