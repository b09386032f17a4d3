from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from whitenoise.compress import Compressor

from collectsync.sync.background import background_uploads
from tests.support.fakes import RecordingRemote
from tests.support.project import INDEX_KEY, MANIFEST_KEY, Project, RequestLog, run_command
from tests.support.staged import staged_files


def test_only_new_names_are_uploaded_in_the_background(tmp_path: Path) -> None:
    files = staged_files(tmp_path, 4)
    remote = RecordingRemote(failing={"f002.css"})

    with background_uploads(remote, workers=2, is_new=lambda name: name != "f001.css") as early:
        early.offer(files)
        uploaded, failures = early.finish()

    assert sorted(f.name for f in uploaded) == ["f000.css", "f003.css"]
    assert [failure.file.name for failure in failures] == ["f002.css"]
    assert sorted(remote.objects) == ["f000.css", "f003.css"]


def test_new_files_upload_while_whitenoise_still_compresses(
    project: Project, request_log: RequestLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    puts_before_compressing: list[int] = []
    compress = Compressor.compress

    def compress_after_an_upload(self: Compressor, path: str) -> Iterator[str]:
        deadline = time.monotonic() + 60  # a safety net: the first PUT comes in well under it
        while not request_log.keys("PUT") and time.monotonic() < deadline:
            time.sleep(0.01)
        puts_before_compressing.append(len(request_log.keys("PUT")))
        yield from compress(self, path)

    monkeypatch.setattr(Compressor, "compress", compress_after_an_upload)

    run_command("--noinput")

    assert puts_before_compressing
    assert min(puts_before_compressing) > 0
    puts = [key for method, _, key in request_log.requests if method == "PUT"]
    assert puts[-2:] == [MANIFEST_KEY, INDEX_KEY]
    assert set(puts) == project.object_keys()
