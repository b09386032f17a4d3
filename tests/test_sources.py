from __future__ import annotations

import codecs
import hashlib
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.staticfiles.finders import AppDirectoriesFinder, FileSystemFinder, get_finders
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from collectsync.sources import READ_SIZE, Found, Listing, md5s
from tests.conftest import Project, run_command

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def counting_walks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    walks: Counter[str] = Counter()
    for finder_class in (FileSystemFinder, AppDirectoriesFinder):
        walk = finder_class.list

        def counted(self: Any, ignore_patterns: list[str], walk: Any = walk) -> Iterator[Any]:
            walks[type(self).__name__] += 1
            return walk(self, ignore_patterns)  # type: ignore[no-any-return]

        monkeypatch.setattr(finder_class, "list", counted)
    return walks


def test_the_finders_are_listed_once_per_deploy(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks = counting_walks(monkeypatch)
    once = {"FileSystemFinder": 1, "AppDirectoriesFinder": 1}

    run_command("--noinput")  # every file staged
    assert walks == once
    walks.clear()
    (project.source / "js/app.js").write_text("var edited = true;")
    run_command("--noinput")  # one file staged
    assert walks == once
    walks.clear()
    run_command("--noinput")  # nothing changed
    assert walks == once


def test_replayed_finders_answer_as_they_did_and_walk_again_after(
    settings: SettingsWrapper, static_source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.STATICFILES_DIRS = [str(static_source)]
    listing = Listing.of_finders(["*.png"])
    walks = counting_walks(monkeypatch)

    with listing.replayed():
        answers = [list(finder.list(["*.png"])) for finder in get_finders()]
        other = [list(finder.list([])) for finder in get_finders()]
    assert answers == [files for _, files in listing.answers]
    assert walks == {"FileSystemFinder": 1, "AppDirectoriesFinder": 1}  # the other patterns
    assert sum(map(len, other)) > sum(map(len, answers))
    assert all("list" not in vars(finder) for finder in get_finders())


def test_found_names_files_as_collect_does_and_the_first_wins(
    settings: SettingsWrapper, static_source: Path, tmp_path: Path
) -> None:
    vendor, again = tmp_path / "vendor", tmp_path / "again"
    shutil.copytree(static_source, vendor)
    (again / "js").mkdir(parents=True)
    (again / "js/app.js").write_text("never collected: the first js/app.js wins")
    settings.STATICFILES_DIRS = [("vendor", str(vendor)), str(static_source), str(again)]
    conflicts: list[str] = []

    found = [prefixed for prefixed, _, _ in Listing.of_finders([]).found(conflicts)]

    assert "vendor/js/app.js" in found
    assert "js/app.js" in found
    assert len(found) == len(set(found)) == Listing.of_finders([]).count == 12
    assert conflicts == ["js/app.js"]
    assert Listing.of_finders([]).all_local()


class Rot13Storage(FileSystemStorage):
    """Keeps its files encoded: only its own open() reads what collect() would copy."""

    def _open(self, name: str, mode: str = "rb") -> File[bytes]:
        return ContentFile(codecs.encode(Path(self.path(name)).read_text(), "rot13").encode())


def test_md5s_read_what_each_storage_opens(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(bytes(range(256)) * 4099)  # a few reads' worth
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "secret.txt").write_text("uryyb")
    plain, encoded = FileSystemStorage(tmp_path), Rot13Storage(tmp_path)
    found: list[Found] = [
        ("a/big.bin", plain, "big.bin"),
        ("a/empty.txt", plain, "empty.txt"),
        ("b/secret.txt", encoded, "secret.txt"),
        ("a/secret.txt", plain, "secret.txt"),
    ]

    assert dict(md5s(found)) == {
        "a/big.bin": hashlib.md5((tmp_path / "big.bin").read_bytes()).hexdigest(),
        "a/empty.txt": hashlib.md5(b"").hexdigest(),
        "b/secret.txt": hashlib.md5(b"hello").hexdigest(),
        "a/secret.txt": hashlib.md5(b"uryyb").hexdigest(),
    }
    assert (tmp_path / "big.bin").stat().st_size > 4 * READ_SIZE
