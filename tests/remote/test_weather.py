"""Weather: concurrency under throttling, rounds and their deadline, a lost connection."""

from __future__ import annotations

import threading

import pytest

from collectsync.errors import TransientError
from collectsync.remote.weather import Throttling, Weather


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def weather(clock: Clock) -> Weather:
    weather = Weather("s3://bucket/static", retry_deadline=600, lost_after=60, clock=clock)
    weather.allow(16)
    return weather


def test_refusals_within_a_second_are_one_signal(weather: Weather, clock: Clock) -> None:
    weather.failed("503 SlowDown", "throttled")
    weather.failed("503 SlowDown", "throttled")  # the same moment: one signal
    assert weather.summary().lowest_concurrency == 8

    weather.failed("500 InternalError", "transient")  # not a refusal
    clock.now += 1
    weather.failed("503 SlowDown", "throttled")
    # Too few requests at 8 yet to tell whether lowering helped: it waits to see.
    assert weather.summary().lowest_concurrency == 8


def test_a_black_hole_counts_from_when_its_first_attempt_was_sent(
    weather: Weather, clock: Clock
) -> None:
    weather.succeeded()
    sent = clock.now
    clock.now += 20  # the read timeout
    weather.failed("Read timeout on endpoint URL", "connection", sent=sent)
    clock.now += 39
    assert weather.lost() is None
    clock.now += 1

    lost = weather.lost()
    assert lost is not None
    assert "no request got through for 60 s" in str(lost)


def test_a_new_pool_keeps_the_lowered_concurrency(weather: Weather) -> None:
    weather.failed("503 SlowDown", "throttled")

    weather.allow(16)

    assert weather.note() == ""  # nothing retried yet
    weather.backed_off(0.5)
    assert weather.note() == "1 retried, 8 at once"


def test_nothing_lowered_nothing_retried(weather: Weather) -> None:
    weather.succeeded()

    assert weather.summary() == Throttling(0, 0.0, None)


def test_the_connection_is_lost_only_after_failing_for_the_whole_interval(
    weather: Weather, clock: Clock
) -> None:
    clock.now += 500  # a long quiet time (staging) is no failure
    weather.failed("Could not connect to the endpoint URL", "connection")
    assert weather.lost() is None

    clock.now += 59
    assert weather.lost() is None
    clock.now += 1
    lost = weather.lost()

    assert lost is not None
    assert str(lost) == (
        "Lost the connection to s3://bucket/static: no request got through for 60 s, the "
        "last failed with: Could not connect to the endpoint URL. Nothing was switched: "
        "rerun once the connection is back."
    )


@pytest.mark.parametrize("answer", ["succeeded", "throttled"])
def test_any_answer_means_the_connection_is_there(
    weather: Weather, clock: Clock, answer: str
) -> None:
    weather.failed("Read timeout on endpoint URL", "connection")
    clock.now += 30
    if answer == "succeeded":
        weather.succeeded()
    else:
        weather.failed("503 SlowDown", "throttled")
    clock.now += 30
    weather.failed("Read timeout on endpoint URL", "connection")
    clock.now += 59

    assert weather.lost() is None


def test_rounds_wait_twice_as_long_each_time_until_the_deadline(
    weather: Weather, clock: Clock
) -> None:
    first_failed = clock.now
    pauses = [weather.pause_before_round(n, first_failed) for n in range(1, 8)]

    limits = [0.5, 1, 2, 4, 8, 16, 30]
    assert all(
        p is not None and limit / 2 <= p <= limit for p, limit in zip(pauses, limits, strict=True)
    )
    clock.now = first_failed + 570
    assert weather.pause_before_round(20, first_failed) is not None  # 15 to 30 s: in time
    clock.now = first_failed + 590
    assert weather.pause_before_round(21, first_failed) is None  # 15 to 30 s: too late


def test_a_remote_that_never_answered_is_not_retried_in_rounds(weather: Weather) -> None:
    attempts = []

    def unreachable() -> None:
        attempts.append(1)
        weather.failed("Could not connect to the endpoint URL", "connection")
        raise TransientError("Could not connect to the S3 endpoint of bucket 'b'.")

    with pytest.raises(TransientError, match="Could not connect"):
        weather.in_rounds(unreachable)

    assert len(attempts) == 1


def test_a_refused_request_goes_again_in_later_rounds(
    weather: Weather, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("collectsync.remote.weather.FIRST_PAUSE", 0.01)
    answers = ["throttled", "throttled", "ok"]

    def attempt() -> str:
        answer = answers.pop(0)
        if answer == "throttled":
            weather.failed("503 SlowDown", "throttled")
            raise TransientError("S3 refused 'a.css': SlowDown")
        return answer

    assert weather.in_rounds(attempt, threading.Event()) == "ok"
    assert weather.summary().requests_retried == 2


def test_a_small_pool_does_not_hold_back_a_later_one(weather: Weather) -> None:
    weather.allow(3)  # three files to upload
    weather.allow(16)
    weather.backed_off(0.5)

    assert weather.note() == "1 retried, 16 at once"
    assert weather.summary().lowest_concurrency is None


def test_steady_success_gives_back_every_upload_throttling_took(weather: Weather) -> None:
    weather.failed("503 SlowDown", "throttled")
    weather.backed_off(0.5)
    assert weather.note() == "1 retried, 8 at once"

    # 20 successes in a row per step (enough to measure each), eight times as many for the
    # last: back where the refusal came.
    for _ in range(20 * 7 + 20 * 8):
        weather.succeeded()

    assert weather.note() == "1 retried, 16 at once"
