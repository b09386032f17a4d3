from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from collectsync.staging import explain_failure, write_in_place


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
    ],
)
def test_staging_failures_are_one_sentence(error: ValueError | OSError, message: str) -> None:
    assert explain_failure(error) == message


def test_storages_with_their_own_save_keep_it(tmp_path: Path) -> None:
    class Custom(FileSystemStorage):
        def _save(self, name: str, content: File[bytes]) -> str:
            return "custom"

    custom = Custom(location=str(tmp_path))
    plain = FileSystemStorage(location=str(tmp_path))
    write_in_place(custom)
    write_in_place(plain)

    assert custom._save("a.txt", ContentFile(b"x")) == "custom"
    assert plain._save("sub/a.txt", ContentFile(b"x")) == "sub/a.txt"  # type: ignore[attr-defined]
    assert (tmp_path / "sub/a.txt").read_bytes() == b"x"
