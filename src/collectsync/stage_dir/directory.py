"""A stage directory: the staged files under ``files/``, and the build record beside them,
written last and removed first, so that only a finished build has one."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from collectsync.errors import DeployError
from collectsync.files import StagedFile, StagedSet
from collectsync.stage.sources import file_md5
from collectsync.stage_dir.build_record import BuildRecord

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock: builds there aren't locked
    fcntl = None  # type: ignore[assignment]

RECORD_NAME = "collectsync-stage.json"
TREE_NAME = "files"
HASHING_THREADS = 4
"""hashlib lets go of the GIL: a few threads keep the disk busy."""


class StageRefused(DeployError):
    """The directory is not a stage that can be built into or published."""


class StageDamaged(StageRefused):
    """A file of the stage is not as its build record describes it."""

    def __init__(self, stage: Path, name: str, what: str) -> None:
        self.name, self.what = name, what
        super().__init__(
            f"The stage in '{stage}' is not complete: '{name}' does not match its build "
            f"record ({what}); build the stage again with collectstatic --stage-only. "
            "Nothing was uploaded."
        )


@dataclass(frozen=True)
class StageDir:
    path: Path

    @classmethod
    def existing(cls, path: str, *, writable: bool) -> StageDir:
        """The stage directory ``path``, refused if it isn't a directory (or, when
        ``writable``, if files can't be created in it)."""
        stage = cls(Path(path))
        if not stage.path.is_dir():
            missing = "does not exist" if not stage.path.exists() else "is not a directory"
            raise StageRefused(
                f"The stage directory '{path}' {missing}; create it (mkdir -p {path}) and rerun."
            )
        if writable:
            try:
                probe, name = tempfile.mkstemp(dir=stage.path, prefix=".collectsync-probe-")
            except OSError as error:
                raise StageRefused(
                    f"The stage directory '{path}' can't be written ({error.strerror}); give "
                    "this user write access to it, or stage elsewhere."
                ) from error
            os.close(probe)
            Path(name).unlink()
        return stage

    @property
    def tree(self) -> Path:
        return self.path / TREE_NAME

    @property
    def record_path(self) -> Path:
        return self.path / RECORD_NAME

    def record(self) -> BuildRecord | None:
        """The build record, None when there is none (never built, or a build that did not
        finish); IncompatibleStage if it can't be read."""
        try:
            data = self.record_path.read_bytes()
        except FileNotFoundError:
            return None
        return BuildRecord.from_bytes(data, str(self.path), self.tree)

    def complete_record(self) -> BuildRecord:
        record = self.record()
        if record is None:
            raise StageRefused(
                f"'{self.path}' holds no complete stage: it has no {RECORD_NAME}, which "
                "collectstatic --stage-only writes last; build the stage (again) and publish "
                "that. Nothing was uploaded."
            )
        return record

    def unmark(self) -> None:
        """From now until mark(), the files are being changed: the stage is not complete."""
        self.record_path.unlink(missing_ok=True)

    def mark(self, record: BuildRecord) -> None:
        partial = self.path / f".{RECORD_NAME}.partial"
        partial.write_bytes(record.to_bytes())
        partial.replace(self.record_path)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Held while building: a second build into the same directory (two image builds
        sharing a cache mount) waits for the first instead of mixing files with it."""
        if fcntl is None:
            yield
            return
        directory = os.open(self.path, os.O_RDONLY)  # the directory itself: no lock file
        try:
            fcntl.flock(directory, fcntl.LOCK_EX)
            yield
        finally:
            os.close(directory)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A directory to stage into, on the stage's own file system so files move in."""
        path = Path(tempfile.mkdtemp(prefix=".collectsync-staging-", dir=self.path))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def install(self, staged: StagedSet, *, drop: Iterable[str] | None) -> StagedSet:
        """Move what was staged into the tree, after deleting the ``drop`` names, or every
        file if None; the staged set as the tree now holds it. A staged link to a source
        becomes a copy: the stage outlives them."""
        if drop is None:
            shutil.rmtree(self.tree, ignore_errors=True)
        else:
            for name in drop:
                (self.tree / name).unlink(missing_ok=True)
                remove_empty_parents(self.tree, name)
        for file in [*staged.files, *([staged.manifest] if staged.manifest else [])]:
            destination = self.tree / file.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            if file.path.is_symlink():
                destination.unlink(missing_ok=True)
                shutil.copyfile(file.path, destination)
            else:
                file.path.replace(destination)
        return dataclasses.replace(
            staged,
            files=[self.placed(file) for file in staged.files],
            manifest=staged.manifest and self.placed(staged.manifest),
        )

    def placed(self, file: StagedFile) -> StagedFile:
        """``file`` at its place in the tree."""
        return dataclasses.replace(file, path=self.tree / file.name)

    def check(self, record: BuildRecord, *, hashing: Iterable[str] = ()) -> None:
        """Refuse the stage unless every file the record names is there at its size, and
        those ``hashing`` names also with its md5."""
        expected = record.every_file
        tree = str(self.tree)  # names joined as text: a third of Path's cost per file
        for name, entry in expected.items():
            try:
                size = os.stat(f"{tree}/{name}").st_size  # noqa: PTH116
            except FileNotFoundError:
                raise self.damaged(name, "it is missing") from None
            if size != entry.size:
                raise self.damaged(name, f"it has {size} bytes, not {entry.size}")
        names = sorted(hashing)
        with ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="collectsync-check") as pool:
            md5s = pool.map(lambda name: file_md5(self.tree / name), names)
            for name, md5 in zip(names, md5s, strict=True):
                if md5 != expected[name].md5:
                    raise self.damaged(name, "its bytes are not those the build staged")

    def damaged(self, name: str, what: str) -> StageDamaged:
        return StageDamaged(self.path, name, what)

    @staticmethod
    def staged_set(record: BuildRecord, names: set[str] | None = None) -> StagedSet:
        """The staged files as a deploy would have staged them, variants and all; of those
        ``names`` only, if given."""
        files = [
            file for name, file in sorted(record.files.items()) if names is None or name in names
        ]
        return StagedSet(files, record.manifest, sources=record.made.sources)


def remove_empty_parents(root: Path, name: str) -> None:
    folder = (root / name).parent
    while folder != root:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty, or already gone
        folder = folder.parent
