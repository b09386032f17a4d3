from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from collectsync.remote import RemoteError, join_key
from collectsync.remote.django import StorageRemote
from collectsync.staging import StagedFile


@pytest.mark.parametrize(
    ("location", "name", "key"),
    [
        ("static", "css/a.css", "static/css/a.css"),
        ("/static/", "a b#?%é.css", "static/a b#?%é.css"),
        ("", "a.css", "a.css"),
    ],
)
def test_keys_are_joined_under_the_location(location: str, name: str, key: str) -> None:
    assert join_key(location, name) == key


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "a/../../b", "a//b", "./a", ""])
def test_names_that_would_leave_the_location_are_refused(name: str) -> None:
    with pytest.raises(RemoteError, match="would leave the storage's location"):
        join_key("static", name)


def test_a_filesystem_manifest_storage_is_replaced_in_place(tmp_path: Path) -> None:
    remote = StorageRemote(FileSystemStorage(location=str(tmp_path)))
    (tmp_path / "staticfiles.json").write_text("old")
    source = tmp_path / "new.json"
    source.write_text("new")

    remote.write(StagedFile("staticfiles.json", source, md5="unused", size=3))

    assert remote.read("staticfiles.json") == b"new"
    assert remote.read("missing.json") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.json", "staticfiles.json"]
    assert remote.destination == str(tmp_path)
