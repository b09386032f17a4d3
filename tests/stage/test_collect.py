from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from whitenoise.compress import Compressor

from collectsync.stage.collect import explain_failure
from tests.support.project import INDEX_KEY, MANIFEST_KEY, Project, run_command


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            ValueError("The file 'img/a b.png' could not be found with <storage>."),
            "Staging failed: 'img/a b.png' is referenced but could not be found; fix the "
            "reference or add the file. Nothing was uploaded.",
        ),
        (
            PermissionError(13, "Permission denied", "/src/css/locked.css"),
            "Staging failed: could not read '/src/css/locked.css' (Permission denied). "
            "Nothing was uploaded.",
        ),
        (
            ValueError("Something else\nwith details"),
            "Staging failed: Something else. Nothing was uploaded.",
        ),
        (ValueError(), "Staging failed: ValueError(). Nothing was uploaded."),
        (
            RuntimeError("Max post-process passes exceeded."),
            "Staging failed: Max post-process passes exceeded. Nothing was uploaded.",
        ),
    ],
)
def test_staging_failures_are_one_sentence(error: Exception, message: str) -> None:
    assert explain_failure(error) == message


def test_files_that_refer_to_each_other_in_a_circle_fail_staging_in_one_sentence(
    project: Project, staging_parent: Path
) -> None:
    # Each hashed name depends on the other's: Django's passes never settle.
    (project.source / "css/ping.css").write_text('.a { background: url("pong.css"); }')
    (project.source / "css/pong.css").write_text('.b { background: url("ping.css"); }')

    with pytest.raises(CommandError) as caught:
        run_command("--noinput")

    assert str(caught.value) == (
        "Staging failed: Max post-process passes exceeded. Nothing was uploaded."
    )
    assert project.object_keys() == set()
    assert list(staging_parent.iterdir()) == []


def test_a_full_disk_names_the_staging_directory_and_where_else_to_stage(
    project: Project, staging_parent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(self: Compressor, path: str) -> Iterator[str]:
        raise OSError(errno.ENOSPC, "No space left on device")
        yield ""  # a generator, as the original is

    monkeypatch.setattr(Compressor, "compress", no_space)

    with pytest.raises(CommandError) as caught:
        run_command("--noinput")

    assert re.fullmatch(
        "Staging failed: no space left on the device of the staging directory "
        f"'{re.escape(str(staging_parent))}/collectsync-[^']+'; free some space, or stage "
        r"elsewhere with COLLECTSYNC_STAGING_ROOT \(or TMPDIR\)\. Nothing was switched: the "
        r"site still uses the previous release\.",
        str(caught.value),
    )
    # Files final before compression may have gone early: new keys that nothing names yet.
    assert {MANIFEST_KEY, INDEX_KEY}.isdisjoint(project.object_keys())
    assert list(staging_parent.iterdir()) == []
