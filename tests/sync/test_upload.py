from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collectsync.errors import ConnectionLost, TransientError
from collectsync.files import StagedFile
from collectsync.remote.weather import Weather
from collectsync.sync.upload import (
    QUEUED_PER_WORKER,
    UploadPool,
    upload_parallel,
    upload_pool,
)
from tests.support.fakes import RecordingRemote
from tests.support.staged import staged_files


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


class RefusedOnce(RecordingRemote):
    """Refuses the first attempt at ``refused`` (slow down); its clock stands still until
    every other file is written, then moves a minute on."""

    def __init__(self, refused: str, others: set[str]) -> None:
        super().__init__()
        self.clock = [100.0]
        self.weather = Weather(
            self.destination, retry_deadline=600, lost_after=60, clock=lambda: self.clock[0]
        )
        self.weather.succeeded()
        self.refused, self.others = refused, others

    def write(self, staged: StagedFile) -> None:
        if staged.name == self.refused and f"refused {staged.name}" not in self.events:
            self.events.append(f"refused {staged.name}")
            raise TransientError("SlowDown Please reduce your request rate.", throttled=True)
        super().write(staged)
        if set(self.writes) == self.others:
            self.clock[0] += 60


def test_a_refused_upload_waits_for_its_next_round_without_its_worker(tmp_path: Path) -> None:
    files = staged_files(tmp_path, 10)
    remote = RefusedOnce("f000.css", {f.name for f in files[1:]})

    failures = upload_parallel(files, remote, workers=1, on_uploaded=lambda f: None)

    # The one worker went on with the other files while f000.css waited out its pause.
    assert failures == []
    assert remote.events == [
        "refused f000.css",
        *(f"write {f.name}" for f in files[1:]),
        "write f000.css",
    ]
    assert remote.weather.summary().requests_retried == 1


class RefusedThrice(RecordingRemote):
    """Refuses the first three attempts at f000.css; each write moves the clock a second on
    before it ends, so that a pause is over once another file has been written."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = [100.0]
        self.weather = Weather(
            self.destination, retry_deadline=10**9, lost_after=10**9, clock=self.now
        )
        self.weather.succeeded()

    def now(self) -> float:
        return self.clock[0]

    def write(self, staged: StagedFile) -> None:
        self.clock[0] += 1
        if staged.name == "f000.css" and self.events.count("refused f000.css") < 3:
            self.events.append("refused f000.css")
            raise TransientError("SlowDown Please reduce your request rate.", throttled=True)
        super().write(staged)
        self.weather.succeeded()


@pytest.mark.parametrize("others", [0, 10])
def test_a_pause_doubles_only_with_rounds_in_which_nothing_got_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, others: int
) -> None:
    monkeypatch.setattr("collectsync.remote.weather.FIRST_PAUSE", 0.01)
    files = staged_files(tmp_path, 1 + others)
    remote = RefusedThrice()
    if not others:  # alone, its pauses are waited out on the real clock
        remote.weather = Weather(remote.destination, retry_deadline=10**9, lost_after=10**9)
        remote.weather.succeeded()
    rounds: list[int] = []  # the round whose pause each refusal asked for
    later = remote.weather.later

    def noting(round_number: int, first_failed: float) -> float | None:
        rounds.append(round_number)
        return later(round_number, first_failed)

    monkeypatch.setattr(remote.weather, "later", noting)

    assert upload_parallel(files, remote, workers=1, on_uploaded=lambda f: None) == []

    assert remote.weather.summary().requests_retried == 3
    if others:  # each refusal after another file got through: the first round's pause
        assert rounds == [1, 1, 1]
        assert remote.events[:3] == ["refused f000.css", "write f001.css", "refused f000.css"]
    else:  # nothing else got through in between: each pause twice the one before
        assert rounds == [1, 2, 3]


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


class CountedDeadRemote(DeadRemote):
    """A black hole that counts the writes tried."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__(clock)
        self.tried: list[str] = []

    def write(self, staged: StagedFile) -> None:
        self.tried.append(staged.name)
        super().write(staged)


def test_a_file_that_waited_for_a_slot_is_not_sent_once_the_connection_is_lost(
    tmp_path: Path,
) -> None:
    clock = [100.0]
    remote = CountedDeadRemote(clock)
    remote.weather.succeeded()
    files = staged_files(tmp_path, 2)

    with upload_pool(remote, workers=2) as pool:
        remote.weather.allow(1)  # one upload at once, as when throttled: the second waits
        pool.submit(files[0])
        remote.hanging.wait(timeout=60)
        pool.submit(files[1])
        deadline = time.monotonic() + 60
        while len(pool._uploading) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # until the second worker has taken its file
        remote.weather.failed("Could not connect to the endpoint URL", "connection")
        clock[0] += 61
    remote.released.set()  # the first upload's slot comes free after the deploy has stopped
    for worker in pool._workers:
        worker.join(timeout=60)

    assert remote.tried == ["f000.css"]
    assert sorted(f.file.name for f in pool.failures) == ["f000.css", "f001.css"]
