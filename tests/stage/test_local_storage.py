"""The local storage that stages files."""

from __future__ import annotations

from pathlib import Path

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from collectsync.stage.local_storage import write_in_place


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
