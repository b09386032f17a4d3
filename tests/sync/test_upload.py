from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from whitenoise.compress import Compressor

from collectsync.errors import ConnectionLost
from collectsync.files import StagedFile
from collectsync.remote.weather import Weather
from collectsync.stage.inventory import describe
from collectsync.sync.upload import (
    QUEUED_PER_WORKER,
    UploadPool,
    background_uploads,
    upload_parallel,
    upload_pool,
)
from tests.support.fakes import RecordingRemote
from tests.support.project import INDEX_KEY, MANIFEST_KEY, Project, RequestLog, run_command


def staged_files(root: Path, count: int) -> list[StagedFile]:
    for i in range(count):
        (root / f"f{i:03}.css").write_text(f"file {i}")
    return [describe(root, f"f{i:03}.css") for i in range(count)]


def test_failures_come_back_in_the_order_given(tmp_path: Path) -> None:
    files = staged_files(tmp_path, 20)
    remote = RecordingRemote(failing={"f015.css", "f003.css"})

    failures = upload_parallel(files, remote, workers=4, on_uploaded=lambda f: None)

    assert [f.file.name for f in failures] == ["f003.css", "f015.css"]
    assert len(remote.writes) == 18


class CtrlCAfter(list[StagedFile]):
    """Files whose iteration is interrupted by Ctrl-C after the first ``count``, once
    ``ready()`` says so, where the main thread is while uploads run. (A real SIGINT sent from
    a test can land while the garbage collector runs a finalizer, which swallows the
    KeyboardInterrupt.)"""

    def __init__(self, files: list[StagedFile], count: int, ready: Callable[[], None]) -> None:
        super().__init__(files)
        self.interrupt_at = count
        self.ready = ready

    def __iter__(self) -> Iterator[StagedFile]:
        yield from self[: self.interrupt_at]
        self.ready()
        raise KeyboardInterrupt


class HeldRemote(RecordingRemote):
    """Each write waits until ``released``: the test decides when uploads under way end."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()
        self.writing = threading.Semaphore(0)

    def write(self, staged: StagedFile) -> None:
        self.writing.release()
        self.released.wait(timeout=120)
        super().write(staged)


def test_ctrl_c_drops_the_queued_uploads(tmp_path: Path) -> None:
    remote = HeldRemote()

    def two_under_way() -> None:
        for _ in range(2):
            remote.writing.acquire(timeout=60)

    files = CtrlCAfter(staged_files(tmp_path, 200), 6, two_under_way)

    with pytest.raises(KeyboardInterrupt):
        upload_parallel(files, remote, workers=2, on_uploaded=lambda staged: None)
    remote.released.set()
    for thread in threading.enumerate():
        if thread.name.startswith("collectsync"):
            thread.join()

    # Two uploads were under way when Ctrl-C came; the four queued behind them never start.
    assert sorted(remote.writes) == ["f000.css", "f001.css"]


def fail_while_uploading(remote: HeldRemote, files: list[StagedFile]) -> UploadPool:
    """A pool whose user fails while the first file is under way, held for a moment."""
    with upload_pool(remote, workers=1) as pool:
        for staged in files:
            pool.submit(staged)
        remote.writing.acquire(timeout=60)
        threading.Timer(0.1, remote.released.set).start()
        raise StagingFailed(pool)


class StagingFailed(Exception):
    pass


def test_a_failure_waits_for_the_uploads_under_way(tmp_path: Path) -> None:
    remote = HeldRemote()

    with pytest.raises(StagingFailed) as caught:
        fail_while_uploading(remote, staged_files(tmp_path, 2))

    # Nothing goes on writing once the failure is out (Ctrl-C need not wait).
    assert caught.value.args[0].unfinished == 0
    assert remote.writes[:1] == ["f000.css"]


def test_the_queue_stays_short_however_many_files(tmp_path: Path) -> None:
    files = staged_files(tmp_path, 100)
    remote = RecordingRemote()
    most_unfinished = 0

    with upload_pool(remote, workers=2) as pool:
        for staged in files:
            pool.submit(staged)
            most_unfinished = max(most_unfinished, pool.unfinished)

    assert 0 < most_unfinished <= 2 * QUEUED_PER_WORKER

    assert len(remote.writes) == 100


def test_nothing_to_upload() -> None:
    assert upload_parallel([], RecordingRemote(), workers=8, on_uploaded=lambda f: None) == []


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


class DeadRemote(RecordingRemote):
    """A black hole: each write hangs until ``released``; the weather runs on ``clock``."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__()
        self.weather = Weather(
            self.destination, retry_deadline=600, lost_after=60, clock=lambda: clock[0]
        )
        self.hanging = threading.Event()
        self.released = threading.Event()

    def write(self, staged: StagedFile) -> None:
        self.hanging.set()
        self.released.wait(timeout=120)
        raise OSError("Read timeout on endpoint URL")


def test_a_lost_connection_stops_the_wait_for_uploads_that_hang(tmp_path: Path) -> None:
    clock = [100.0]
    remote = DeadRemote(clock)
    remote.weather.succeeded()  # it answered once, then the network died
    files = staged_files(tmp_path, 3)

    with upload_pool(remote, workers=1) as pool:
        pool.submit(files[0])
        remote.hanging.wait(timeout=60)
        # Another request found no connection a minute ago: the connection counts as lost.
        remote.weather.failed("Could not connect to the endpoint URL", "connection")
        clock[0] += 61
    remote.released.set()

    assert [(f.file.name, type(f.error)) for f in pool.failures] == [("f000.css", ConnectionLost)]
    assert remote.writes == []
