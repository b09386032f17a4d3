from __future__ import annotations

import codecs
import hashlib
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.staticfiles.finders import (
    AppDirectoriesFinder,
    BaseStorageFinder,
    FileSystemFinder,
    get_finders,
)
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage
from django.test import override_settings
from django.utils.functional import SimpleLazyObject

from collectsync.stage.sources import READ_SIZE, Found, Listing, md5s, plain_root
from tests.support.project import (
    CSS_RULES,
    INDEX_KEY,
    LOCATION,
    Project,
    RequestLog,
    remote_tree,
    run_command,
    stock_whitenoise_tree,
)

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


def test_plain_root_looks_through_a_lazy_storage(tmp_path: Path) -> None:
    lazy = SimpleLazyObject(lambda: FileSystemStorage(tmp_path))

    assert plain_root(lazy) == str(tmp_path)  # type: ignore[arg-type]
    assert plain_root(SimpleLazyObject(lambda: Rot13Storage(tmp_path))) is None  # type: ignore[arg-type]
    assert plain_root(ListOnlyStorage()) is None


LIST_ONLY_FILES: dict[str, bytes] = {}
"""What every ListOnlyStorage holds, by name."""


class ListOnlyStorage(Storage):
    """Lists and opens its files, and nothing else: no path(), no times, no sizes."""

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        inside = [name.removeprefix(prefix) for name in LIST_ONLY_FILES if name.startswith(prefix)]
        folders = sorted({name.split("/")[0] for name in inside if "/" in name})
        return folders, sorted(name for name in inside if "/" not in name)

    def _open(self, name: str, mode: str = "rb") -> File[bytes]:
        return ContentFile(LIST_ONLY_FILES[name], name=name)


class LazyListOnlyFinder(BaseStorageFinder):
    """A third-party finder whose storage is built lazily and has no local paths."""

    storage = SimpleLazyObject(ListOnlyStorage)  # type: ignore[assignment]


@dataclass
class ExtraSources:
    """Sources that a finder other than FileSystemFinder answers for, beside the project's."""

    write: Callable[[str, bytes], None]
    stock: Callable[[Path], dict[str, bytes]]
    """What Django's own collectstatic with Whitenoise writes for the same sources."""


@pytest.fixture(params=["DefaultStorageFinder", "LazyListOnlyFinder"])
def extra_sources(
    request: pytest.FixtureRequest,
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> ExtraSources:
    finders = [f"{FileSystemFinder.__module__}.FileSystemFinder"]
    if request.param == "DefaultStorageFinder":
        media = tmp_path / "media"
        settings.MEDIA_ROOT = str(media)
        settings.STATICFILES_FINDERS = [*finders, f"{FileSystemFinder.__module__}.{request.param}"]

        def write_media(name: str, data: bytes) -> None:
            (media / name).parent.mkdir(parents=True, exist_ok=True)
            (media / name).write_bytes(data)

        return ExtraSources(write_media, lambda root: stock_whitenoise_tree(settings, root))

    # Django's own command can't copy from a storage without path(): the same files in a
    # folder are what it would collect.
    monkeypatch.setattr(sys.modules[__name__], "LIST_ONLY_FILES", {})
    mirror = tmp_path / "mirror"
    settings.STATICFILES_FINDERS = [*finders, f"{__name__}.LazyListOnlyFinder"]

    def write_both(name: str, data: bytes) -> None:
        LIST_ONLY_FILES[name] = data
        (mirror / name).parent.mkdir(parents=True, exist_ok=True)
        (mirror / name).write_bytes(data)

    def stock_from_mirror(root: Path) -> dict[str, bytes]:
        with override_settings(
            STATICFILES_FINDERS=finders, STATICFILES_DIRS=[str(project.source), str(mirror)]
        ):
            return stock_whitenoise_tree(settings, root)

    return ExtraSources(write_both, stock_from_mirror)


def test_a_finder_with_a_lazy_or_pathless_storage_deploys_edits_and_finds_nothing_changed(
    project: Project, extra_sources: ExtraSources, tmp_path: Path, request_log: RequestLog
) -> None:
    # One file a folder level, so that the order Django post-processes them in is settled.
    extra_sources.write("vendor/lib.css", b'.x { background: url("../img/logo.png"); }\n')
    extra_sources.write("vendor/js/lib.js", b"export const lib = 1;\n")

    run_command("--noinput")
    first = extra_sources.stock(tmp_path / "first")
    assert remote_tree(project) == first
    assert "vendor/lib.css.gz" not in first  # too small to compress: the manifest names it
    assert "vendor/js/lib.js" in project.manifest_paths()

    extra_sources.write("vendor/lib.css", b".x {}\n" + CSS_RULES.encode())
    request_log.clear()
    out, _ = run_command("--noinput")
    edited, remote = extra_sources.stock(tmp_path / "edited"), remote_tree(project)
    assert {name: remote.get(name) for name in edited} == edited
    assert set(remote) - set(edited) == set(first) - set(edited)  # until --prune
    assert "Staging every file" not in out
    changed = {f"{LOCATION}/{name}" for name, data in edited.items() if first.get(name) != data}
    assert f"{LOCATION}/vendor/lib.css.br" in changed
    assert request_log.keys("PUT") == changed | {INDEX_KEY}

    request_log.clear()
    out, _ = run_command("--noinput")
    assert request_log.requests == [("GET", project.bucket, INDEX_KEY)]
    assert "Nothing changed since the last deploy" in out
