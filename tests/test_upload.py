from __future__ import annotations

from pathlib import Path

import pytest

from collectsync.staging import StagedFile, describe
from collectsync.upload import upload_parallel
from tests.fakes import RecordingRemote


def staged_files(root: Path, count: int) -> list[StagedFile]:
    for i in range(count):
        (root / f"f{i:03}.css").write_text(f"file {i}")
    return [describe(root, root / f"f{i:03}.css") for i in range(count)]


def test_failures_come_back_in_the_order_given(tmp_path: Path) -> None:
    files = staged_files(tmp_path, 20)
    remote = RecordingRemote(failing={"f015.css", "f003.css"})

    failures = upload_parallel(files, remote, workers=4, on_uploaded=lambda f: None)

    assert [f.file.name for f in failures] == ["f003.css", "f015.css"]
    assert len(remote.writes) == 18


def test_an_interrupt_drops_the_queued_uploads(tmp_path: Path) -> None:
    files = staged_files(tmp_path, 200)
    remote = RecordingRemote()

    def interrupt(staged: StagedFile) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upload_parallel(files, remote, workers=2, on_uploaded=interrupt)

    assert len(remote.writes) < 200


def test_nothing_to_upload() -> None:
    assert upload_parallel([], RecordingRemote(), workers=8, on_uploaded=lambda f: None) == []
