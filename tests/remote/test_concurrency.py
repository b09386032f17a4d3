"""Concurrency under refusals: following the evidence, never below the floor."""

from __future__ import annotations

from collections.abc import Callable

from collectsync.remote.concurrency import Concurrency

Remote = Callable[[int, int], bool]
"""Whether the remote refuses request number ``n`` when ``limit`` are allowed at once."""


def drive(concurrency: Concurrency, remote: Remote, requests: int) -> list[int]:
    """Send ``requests`` through ``concurrency``, passing on a refusal signal at most once per
    20 requests (as Weather does once a second); the limit after each request."""
    limits = []
    last_signal = -20
    for n in range(requests):
        refused = remote(n, concurrency.limit)
        concurrency.answered(refused=refused)
        if refused and n - last_signal >= 20:
            last_signal = n
            concurrency.refused()
        limits.append(concurrency.limit)
    return limits


def one_in_five(n: int, limit: int) -> bool:
    """Faults that come whatever the load."""
    return n % 5 == 4


def more_than_five_at_once(n: int, limit: int) -> bool:
    """Real throttling: of every ``limit`` requests sent together, those beyond five."""
    return n % limit >= 5


def pool(workers: int = 16) -> Concurrency:
    concurrency = Concurrency()
    concurrency.allow(workers)
    return concurrency


def test_faults_that_dont_depend_on_load_never_lower_it_below_the_floor() -> None:
    concurrency = pool()

    limits = drive(concurrency, one_in_five, 3000)

    assert concurrency.floor == 4
    assert min(limits) >= 4
    assert concurrency.lowest is not None
    # Lowering did not help, so it climbed back: most of the storm ran at the full pool.
    assert limits[-1] == 16
    assert sum(limit == 16 for limit in limits) > len(limits) / 2


def test_throttling_that_depends_on_load_settles_where_the_refusals_stop() -> None:
    concurrency = pool()

    limits = drive(concurrency, more_than_five_at_once, 3000)

    settled = limits[1000:]
    assert max(settled) <= 8
    assert min(settled) >= 4
    refused = sum(more_than_five_at_once(n, limit) for n, limit in enumerate(settled, 1000))
    assert refused < len(settled) / 10


def test_success_gives_back_one_upload_at_once_per_round() -> None:
    concurrency = pool()
    concurrency.refused()
    assert concurrency.limit == 8

    # 20 successes in a row per step (enough to measure each), eight times as many for the
    # last: back where the refusal came.
    for _ in range(20 * 7 + 20 * 8):
        concurrency.answered(refused=False)

    assert concurrency.limit == 16
    assert concurrency.lowered_to is None


def test_a_small_last_pool_is_not_lowered_below_a_quarter_of_the_workers() -> None:
    concurrency = pool(16)
    concurrency.allow(3)  # three files left to upload
    concurrency.refused()

    assert concurrency.floor == 3
    assert concurrency.limit == 3
    assert concurrency.lowest is None


def test_a_small_pool_has_a_floor_of_one() -> None:
    concurrency = pool(2)
    concurrency.refused()
    concurrency.answered(refused=True)

    assert concurrency.floor == 1
    assert concurrency.limit == 1
