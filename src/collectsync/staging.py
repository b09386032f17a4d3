"""Stage: run Django's collect and post-processing into a temp dir, then list the result."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string

from collectsync.conf import conf
from collectsync.fingerprint import found_files, package_version

if TYPE_CHECKING:
    from collectsync.index import SyncIndex


VARIANT_SUFFIXES = (".br", ".gz")


@dataclass(frozen=True, slots=True)
class StagedFile:
    name: str
    """Posix path relative to the storage's root: the name the remote will know it by."""
    path: Path
    md5: str
    size: int
    source_md5: str | None = None
    """For a compressed variant: the md5 of the staged file it was made from."""
    variants: tuple[str, ...] | None = None
    """For a file compressed in this run: the suffixes of the variants that came out."""
    immutable: bool = False
    """A hashed name (or a variant of one): its content never changes under this name."""


@dataclass(frozen=True)
class StagedSet:
    files: list[StagedFile]
    """Every staged file except the manifest, sorted by name."""
    manifest: StagedFile | None
    variants_kept: frozenset[str] = frozenset()
    """Files not compressed because the remote holds their variants for the same content."""

    @property
    def compression_skipped(self) -> int:
        return len(self.variants_kept)


def compressor_identity() -> str:
    """What decides the bytes of the compressed variants, besides their source."""
    return json.dumps(
        {
            "local_storage": conf.LOCAL_STORAGE,
            "whitenoise": package_version("whitenoise"),
            "brotli": package_version("brotli"),
            "zlib": zlib.ZLIB_RUNTIME_VERSION,
            "skip": repr(getattr(settings, "WHITENOISE_SKIP_COMPRESS_EXTENSIONS", None)),
        },
        sort_keys=True,
    )


class CompressionFilter:
    """Keeps Whitenoise from compressing files whose variants the remote already holds.

    Compression is about 90 % of staging. A file whose bytes match what the index recorded,
    and whose every variant the index records as made from those same bytes by the same
    compressor, would come out byte-identical, so compressing it again is wasted work.
    """

    def __init__(
        self,
        storage: Storage,
        root: Path,
        index: SyncIndex,
        compressor: str,
        described: dict[str, StagedFile],
    ) -> None:
        """``described``: the files hashed so far, which this adds the ones it hashes to."""
        self.compressed: set[str] | None = None
        self.skipped: set[str] = set()
        compress_files = getattr(storage, "compress_files", None)
        if compress_files is None:
            return  # not a Whitenoise storage: nothing is compressed, nothing to filter
        self.compressed = set()

        def compress_new_files(names: Iterable[str]) -> Iterator[tuple[str, str]]:
            todo = []
            for name in names:
                if name not in described:
                    described[name] = describe(root, name)
                if index.holds_variants_of(name, described[name].md5, compressor):
                    self.skipped.add(name)
                else:
                    todo.append(name)
            assert self.compressed is not None
            self.compressed.update(todo)
            result: Iterator[tuple[str, str]] = compress_files(todo)
            return result

        # Whitenoise calls self.compress_files(); an instance attribute takes precedence.
        storage.compress_files = compress_new_files  # type: ignore[attr-defined]


class FinishedFiles:
    """Reports staged files as soon as their bytes are final, before staging ends.

    Whitenoise compresses last: when it starts, every hashed file, original and the manifest
    are written for good, and each compressed variant is final once reported. Compression is
    most of staging, so uploads can run meanwhile.
    """

    def __init__(
        self,
        storage: Storage,
        root: Path,
        manifest_name: str | None,
        on_final: Callable[[list[StagedFile]], None],
        described: dict[str, StagedFile],
    ) -> None:
        """``described``: the files hashed so far, which this adds each file it reports to."""
        self._root = root
        self._manifest_name = manifest_name
        self._on_final = on_final
        self._described = described
        self._hashed: set[str] = set()
        compress_files = getattr(storage, "compress_files", None)
        if compress_files is None:
            return  # nothing is compressed: staging ends as soon as the files are written

        def compress_files_reporting(names: Iterable[str]) -> Iterator[tuple[str, str]]:
            self._report_written()
            for name, compressed_name in compress_files(names):
                self._report_variant(compressed_name)
                yield name, compressed_name

        storage.compress_files = compress_files_reporting  # type: ignore[attr-defined]

    def _report_written(self) -> None:
        manifest = self._root / self._manifest_name if self._manifest_name else None
        self._hashed = hashed_names(manifest) if manifest and manifest.is_file() else set()
        written = []
        for name in staged_names(self._root):
            if name == self._manifest_name:
                continue
            staged = describe(self._root, name, immutable=name in self._hashed)
            self._described[name] = staged
            written.append(staged)
        self._on_final(written)

    def _report_variant(self, name: str) -> None:
        source_name = next(
            (name.removesuffix(s) for s in VARIANT_SUFFIXES if name.endswith(s)), name
        )
        source = self._described.get(source_name)
        staged = describe(
            self._root,
            name,
            source_md5=source.md5 if source else None,
            immutable=source_name in self._hashed,
        )
        self._described[name] = staged
        self._on_final([staged])


def sources_are_local(ignore_patterns: Iterable[str]) -> bool:
    """Whether every source file has a local path, so staging can link instead of copy."""
    if os.name != "posix":
        return False
    for _, storage, path in found_files(ignore_patterns):
        try:
            storage.path(path)
        except NotImplementedError:
            return False
    return True


def write_in_place(storage: FileSystemStorage) -> None:
    """Save files with one plain write instead of Django's exclusive-create dance.

    FileSystemStorage._save guards against other processes writing the same name (O_EXCL,
    file locks, retries under another name). Nobody else writes into a fresh staging dir, and
    post-processing deletes a name before saving it again, so a plain write is the same result
    for a third of the cost. Storages that define their own _save keep it.
    """
    if type(storage)._save is not FileSystemStorage._save:  # type: ignore[attr-defined]
        return

    def save(name: str, content: File[bytes]) -> str:
        path = Path(storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            for chunk in content.chunks():
                handle.write(chunk)
        return name.replace("\\", "/")

    storage._save = save  # type: ignore[attr-defined]


def build_local_storage(location: Path) -> Storage:
    dotted_path = conf.LOCAL_STORAGE
    try:
        storage_class = import_string(dotted_path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"COLLECTSYNC_LOCAL_STORAGE '{dotted_path}' could not be imported "
            f"({error}); install it (for the default: pip install 'whitenoise[brotli]')."
        ) from error
    storage: Storage = storage_class(location=str(location), **conf.LOCAL_STORAGE_OPTIONS)
    if isinstance(storage, FileSystemStorage):
        write_in_place(storage)
    return storage


@contextmanager
def staging_dir(*, keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="collectsync-", dir=conf.STAGING_ROOT))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def staged_names(root: Path) -> list[str]:
    """The posix name, relative to ``root``, of every file under it, sorted.

    Names rather than Path objects: at 80,000 staged files the difference is tens of MB.
    """
    names = []
    for folder, _, files in os.walk(root, followlinks=True):
        folder_path = Path(folder)
        relative = folder_path.relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        names += [prefix + file for file in files if (folder_path / file).is_file()]
    return sorted(names)


def scan(
    root: Path,
    manifest_name: str | None,
    compression: CompressionFilter | None = None,
    described_before: Mapping[str, StagedFile] | None = None,
) -> StagedSet:
    """The staged files under ``root``; those ``described_before`` are not read again."""
    described_before = described_before or {}
    described = {}
    for name in staged_names(root):
        described[name] = described_before.get(name) or describe(root, name)
    compressed = compression.compressed if compression else None
    manifest_file = described.get(manifest_name) if manifest_name else None
    hashed = hashed_names(manifest_file.path) if manifest_file else set()
    files: list[StagedFile] = []
    manifest: StagedFile | None = None
    for name, staged in described.items():
        if name == manifest_name:
            manifest = staged
            continue
        source = next(
            (
                described[name.removesuffix(s)]
                for s in VARIANT_SUFFIXES
                if name.endswith(s) and name.removesuffix(s) in described
            ),
            None,
        )
        variants = None
        if compressed is not None and name in compressed:
            variants = tuple(s for s in VARIANT_SUFFIXES if name + s in described)
        files.append(
            dataclasses.replace(
                staged,
                source_md5=source.md5 if source else None,
                variants=variants,
                immutable=(source.name if source else name) in hashed,
            )
        )
    return StagedSet(
        files=files,
        manifest=manifest,
        variants_kept=frozenset(compression.skipped) if compression else frozenset(),
    )


MISSING_REFERENCE = re.compile(
    r"The (?P<kind>\w+) file '(?P<file>[^']+)' references a file which could not be found:"
    r"\s+(?P<missing>\S+)"
)
MISSING_FILE = re.compile(r"The file '(?P<missing>[^']+)' could not be found")


def explain_failure(error: Exception) -> str:
    """One sentence for an error raised while staging; nothing has been uploaded yet."""
    message = str(error)
    if match := MISSING_REFERENCE.search(message):
        return (
            f"Staging failed: the {match['kind']} file '{match['file']}' references "
            f"'{match['missing']}', which could not be found; fix the reference or add the "
            "file. Nothing was uploaded."
        )
    if match := MISSING_FILE.search(message):
        return (
            f"Staging failed: '{match['missing']}' is referenced but could not be found; "
            "fix the reference or add the file. Nothing was uploaded."
        )
    if isinstance(error, OSError) and error.filename:
        return (
            f"Staging failed: could not read '{error.filename}' ({error.strerror}). "
            "Nothing was uploaded."
        )
    first_line = message.splitlines()[0] if message else repr(error)
    return f"Staging failed: {first_line}. Nothing was uploaded."


def hashed_names(manifest: Path) -> set[str]:
    """The hashed names a Django manifest maps to."""
    try:
        paths = json.loads(manifest.read_bytes())["paths"]
        return {str(name) for name in paths.values()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()  # not a manifest Django wrote: treat every name as mutable


def file_md5(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "md5").hexdigest()


def describe(
    root: Path,
    name: str,
    md5: str | None = None,
    *,
    source_md5: str | None = None,
    immutable: bool = False,
) -> StagedFile:
    path = root / name
    return StagedFile(
        name=name,
        path=path,
        md5=md5 or file_md5(path),
        size=path.stat().st_size,
        source_md5=source_md5,
        immutable=immutable,
    )


def manifest_name_of(storage: Storage) -> str | None:
    """The manifest's name in ``storage``, if it keeps one next to its files."""
    name = getattr(storage, "manifest_name", None)
    if name is None or getattr(storage, "manifest_storage", storage) is not storage:
        return None
    return str(name)
