"""How many uploads at once, following the evidence.

A refusal ("slow down", a dropped connection) can mean two things. Real throttling depends on
load: fewer requests at once get fewer refusals, so the uploads in flight are halved. Faults
that come whatever the load (a flaky proxy, one overloaded partition) don't fall when the
concurrency falls; lowering it then only slows the deploy, so it stops being lowered and climbs
back. Which one it is shows in the refusal rate at each concurrency tried, counted over the
last requests at each.

This module imports nothing of the package; Weather (weather.py) holds the lock around it.
"""

from __future__ import annotations

FEWER = 0.75
"""A refusal rate lower by a quarter or more counts as lower: anything less is noise."""
MIN_REQUESTS = 20
"""Requests at one concurrency before its refusal rate counts as measured."""
REMEMBERED = 200
"""Requests remembered at each concurrency: older ones count half, and so on."""
PATIENCE = 8
"""Rounds of success in a row before climbing back to where refusals last made it lower."""


class Concurrency:
    def __init__(self) -> None:
        self.ceiling = 1_000_000
        self._workers = 1
        """The largest pool allowed in this deploy: the floor is a quarter of it."""
        self.lowered_to: int | None = None
        """Uploads at once that refusals allow; None while they allow the pool's all."""
        self.lowest: int | None = None
        """The fewest uploads allowed at once, once refusals have lowered it."""
        self._seen: dict[int, list[int]] = {}
        """Concurrency: [requests, refused] at it."""
        self._successes = 0
        self._troubled: int | None = None
        """The concurrency at which refusals last made it lower."""

    @property
    def limit(self) -> int:
        return self.ceiling if self.lowered_to is None else min(self.lowered_to, self.ceiling)

    @property
    def floor(self) -> int:
        """Never lower than this: at a quarter of the workers, a storm of faults that don't
        depend on load still leaves most uploads moving. (A pool smaller than that, for the
        last few files, is not lowered at all.)"""
        return min(self.ceiling, max(1, self._workers // 4))

    def allow(self, workers: int) -> None:
        self.ceiling = workers
        self._workers = max(self._workers, workers)

    def answered(self, *, refused: bool) -> None:
        """One request ended at the current concurrency: refused, or not (it succeeded)."""
        seen = self._seen.setdefault(self.limit, [0, 0])
        seen[0] += 1
        seen[1] += refused
        if seen[0] >= REMEMBERED:
            seen[0], seen[1] = seen[0] // 2, seen[1] // 2
        if refused:
            self._successes = 0
            return
        if self.lowered_to is None:
            return
        # A round of successes in a row (and enough to have measured this concurrency) gives
        # back one upload at once; many rounds, where refusals came before.
        self._successes += 1
        rounds = PATIENCE if self._troubled and self.lowered_to + 1 >= self._troubled else 1
        if self._successes >= max(MIN_REQUESTS, self.lowered_to) * rounds:
            self._climb(self.lowered_to + 1)

    def rate(self, concurrencies: list[int]) -> float | None:
        """The refusal rate at these concurrencies, or None until enough requests are seen."""
        seen = [self._seen.get(c, [0, 0]) for c in concurrencies]
        requests = sum(requests for requests, _ in seen)
        refused = sum(refused for _, refused in seen)
        return None if requests < MIN_REQUESTS else refused / requests

    def refused(self) -> None:
        """A refusal signal (Weather passes on at most one a second): lower the concurrency
        while the evidence says lowering helps, climb back once it says it doesn't."""
        now = self.limit
        here = self.rate([now])
        if here is None:
            if self.lowered_to is None:
                self._lower(now)  # the first signal: lower, and see what that does
            return  # just lowered or raised: wait to see what that did
        above = self.rate([c for c in self._seen if c > now])
        below = self.rate([c for c in self._seen if c < now])
        lowering_did_not_help = above is not None and here > above * FEWER
        fewer_was_no_better = below is not None and below > here * FEWER
        if lowering_did_not_help or fewer_was_no_better:
            # The refusals don't depend on load: back up to where they were the same.
            self._troubled = None
            self._climb(min((c for c in self._seen if c > now), default=self.ceiling))
        else:
            self._lower(now)

    def _lower(self, now: int) -> None:
        lower = max(self.floor, now // 2)
        if lower < now:
            self.lowered_to = lower
            self._troubled = now
            self._successes = 0
            self.lowest = min(self.lowest or lower, lower)

    def _climb(self, to: int) -> None:
        self.lowered_to = None if to >= self.ceiling else to
        self._successes = 0
        if self._troubled is not None and to > self._troubled:
            self._troubled = None
