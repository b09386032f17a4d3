"""Weather: how the remote is answering, shared by every upload of one deploy.

Refusals lower the uploads in flight as long as that lowers the refusals (concurrency.py); a
file whose upload failed on something that passes goes again in a later round, after a pause
that doubles, until its deadline; and when no request has got through for a while and requests
keep failing, the connection counts as lost and the deploy stops instead of trying every file.

This module imports nothing else of the package but errors, conf and concurrency, so every
layer can use it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Concatenate, Literal, ParamSpec, Protocol, TypeVar

from collectsync.conf import conf
from collectsync.errors import ConnectionLost, TransientError
from collectsync.remote.concurrency import Concurrency

T = TypeVar("T")
P = ParamSpec("P")

Trouble = Literal["throttled", "connection", "transient"]
"""Kinds of trouble that pass: an answer asking to slow down, no connection or no answer,
and any other answer worth another try (500, a request timeout)."""

FIRST_PAUSE = 0.5
"""Seconds before a failed file's second round; each later round waits twice as long."""
LONGEST_PAUSE = 30.0
CUT_INTERVAL = 1.0
"""Refusals within this many seconds of the last one acted on are one signal, not several:
the requests in flight when S3 says "slow down" all hear it at once."""


@dataclass(frozen=True)
class Throttling:
    """What the weather cost a deploy, for its report."""

    requests_retried: int
    backoff_seconds: float
    lowest_concurrency: int | None
    """None when nothing lowered it."""


class Weather:
    def __init__(
        self,
        destination: str,
        *,
        retry_deadline: float,
        lost_after: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``retry_deadline``: seconds after its first failure that a file is still retried;
        ``lost_after``: seconds without any success, while requests fail, that mean the
        connection is lost."""
        self.destination = destination
        self.retry_deadline = retry_deadline
        self.lost_after = lost_after
        self._clock = clock
        self._changed = threading.Condition()
        self._concurrency = Concurrency()
        self._in_flight = 0
        self._last_cut = -CUT_INTERVAL
        self._failing_since: float | None = None
        """When the first attempt that found no connection was sent, none getting through
        since: a black hole's attempts fail only at their timeout, long after."""
        self._last_answer = -float("inf")
        self._last_success = -float("inf")
        self._last_failure = ""
        self._answered = False
        """Whether the remote has answered at all: until it has, no connection means a wrong
        endpoint or no network, and the first failure is the error to report."""
        self.retried = 0
        self.backoff_seconds = 0.0

    @classmethod
    def from_settings(cls, destination: str) -> Weather:
        return cls(destination, retry_deadline=conf.RETRY_DEADLINE, lost_after=conf.LOST_AFTER)

    def allow(self, workers: int) -> None:
        """At most ``workers`` uploads at once, fewer while refused."""
        with self._changed:
            self._concurrency.allow(workers)
            self._changed.notify_all()

    def _limit(self) -> int:
        """Uploads allowed at once (called holding the lock)."""
        return self._concurrency.limit

    def now(self) -> float:
        return self._clock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait until one more upload may be in flight."""
        with self._changed:
            self._changed.wait_for(lambda: self._in_flight < self._limit())
            self._in_flight += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify()

    def succeeded(self) -> None:
        with self._changed:
            self._failing_since = None
            self._last_answer = self._last_success = self._clock()
            self._answered = True
            self._concurrency.answered(refused=False)
            self._changed.notify_all()

    def failed(self, reason: str, kind: Trouble, *, sent: float | None = None) -> None:
        """A request (sent at ``sent``, by default now) failed on something that passes.
        Throttling, and a dropped connection (often a server shedding load), are refusals."""
        with self._changed:
            now = self._clock()
            self._last_failure = reason
            if kind != "connection":
                self._failing_since = None  # an answer, if only "slow down": still connected
                self._last_answer = now
                self._answered = True
            else:
                since = max(now if sent is None else sent, self._last_answer)
                self._failing_since = min(self._failing_since or since, since)
            if kind == "transient":
                return
            self._concurrency.answered(refused=True)
            if now - self._last_cut >= CUT_INTERVAL:
                self._last_cut = now
                self._concurrency.refused()
                self._changed.notify_all()  # it may have climbed back

    def backed_off(self, seconds: float) -> None:
        """One request is about to go again after ``seconds`` of waiting."""
        with self._changed:
            self.retried += 1
            self.backoff_seconds += seconds

    def lost(self) -> ConnectionLost | None:
        """The error that ends the deploy, once requests have found no connection for
        ``lost_after`` seconds, none succeeding or answered in between. (A remote that
        answers, if only "slow down", is retried until each file's deadline.)"""
        with self._changed:
            if self._failing_since is None:
                return None
            failing = self._clock() - self._failing_since
            reason = self._last_failure
        if failing < self.lost_after:
            return None
        return ConnectionLost(
            f"Lost the connection to {self.destination}: no request got through for "
            f"{failing:.0f} s, the last failed with: {reason.rstrip('.')}. Nothing was "
            "switched: rerun once the connection is back."
        )

    def pause_before_round(self, round_number: int, first_failed: float) -> float | None:
        """Seconds to wait before a failed file's next round, or None if that round would
        start after its deadline. Jittered, so that files failed together come back apart."""
        longest = min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (round_number - 1))
        pause = random.uniform(longest / 2, longest)
        if self._clock() + pause - first_failed > self.retry_deadline:
            return None
        return pause

    def succeeded_since(self, moment: float) -> bool:
        with self._changed:
            return self._last_success > moment

    def later(self, round_number: int, first_failed: float) -> float | None:
        """Seconds until round ``round_number`` of something that failed first at
        ``first_failed``, or None if it is not to be tried again: the remote never answered
        (say why now, don't wait to call it lost), or the round would pass the deadline."""
        with self._changed:
            if not self._answered:
                return None
        return self.pause_before_round(round_number, first_failed)

    def in_rounds(self, attempt: Callable[[], T], stopping: threading.Event | None = None) -> T:
        """``attempt()``, again in later rounds while it fails on something that passes, until
        its deadline, the connection is lost, or ``stopping`` is set (Ctrl-C)."""
        first_failed: float | None = None
        round_number = 0
        while True:
            lost = self.lost()
            if lost is not None:
                raise lost  # don't try what can't succeed: the deploy stops
            try:
                return attempt()
            except TransientError:
                round_number += 1
                first_failed = first_failed or self._clock()
                pause = self.later(round_number, first_failed)
                if pause is None or (stopping or threading.Event()).wait(pause):
                    raise
                self.backed_off(pause)

    def note(self) -> str:
        """Throttling so far, for the progress bar; empty while there is none."""
        with self._changed:
            if not self.retried:
                return ""
            return f"{self.retried} retried, {self._limit()} at once"

    def summary(self) -> Throttling:
        with self._changed:
            lowest = self._concurrency.lowest
            return Throttling(self.retried, round(self.backoff_seconds, 3), lowest)


class Weathered(Protocol):
    weather: Weather


R = TypeVar("R", bound=Weathered)


def in_rounds(method: Callable[Concatenate[R, P], T]) -> Callable[Concatenate[R, P], T]:
    """A remote's operation, again in later rounds while it fails on something that passes
    (file uploads take their rounds in the upload pool, which can stop them)."""

    def retried(self: R, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.weather.in_rounds(lambda: method(self, *args, **kwargs))

    return retried
