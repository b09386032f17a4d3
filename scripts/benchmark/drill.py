"""Weather drills against LocalStack: what throttling and a dead network cost a deploy.

Cold deploys of the benchmark's corpus, each a fresh `manage.py collectstatic --noinput` at
default settings, through the test suite's fault proxy:

- **undisturbed**: every request passes (the yardstick for the others);
- **storm**: one PUT in five (the same ones on every run) is answered `503 SlowDown`, whatever
  the load: faults that lowering the concurrency does not lower;
- **rate-limited**: a PUT arriving while more than ``--in-flight`` requests are being handled is
  answered `503 SlowDown`: real throttling, which depends on load;
- **dead network**: after ``--cut-after`` PUTs, every connection is reset.

Reports each one's exit status, wall time and ratio to the undisturbed deploy, the requests the
process sent (retries included), how many the proxy refused (in all, and after the first
10 seconds), the seconds between the last request that got through and the end, and what the
command's summary says about retries.

Usage (LocalStack running): python -m scripts.benchmark.drill [--files 1000] [--cut-after 300]
[--latency-ms 25] [--corpus npm]
"""

from __future__ import annotations

import argparse
import itertools
import re
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from scripts.benchmark.lib import buckets as bench_s3
from scripts.benchmark.lib import report as bench_report
from scripts.benchmark.lib.harness import (
    LOCALSTACK,
    Bench,
    add_corpus_option,
    endpoint_for,
    localstack_version,
    log,
    measure,
)
from scripts.faults.proxy import Action, Decide, FaultProxy

RETRIED = re.compile(r"The remote asked to slow down or failed for a moment: [^\n]+")
SETTLING = 10.0
"""Seconds a storm may take to find its concurrency before refusals count against it."""

Drill = Callable[[FaultProxy], Decide]


def undisturbed(proxy: FaultProxy) -> Decide:
    return lambda method, key, attempt: "pass"


def storm(proxy: FaultProxy) -> Decide:
    def decide(method: str, key: str, attempt: int) -> Action:
        if method != "PUT":
            return "pass"
        return "503" if zlib.crc32(f"{key} {attempt}".encode()) % 5 == 0 else "pass"

    return decide


def rate_limited(in_flight: int) -> Drill:
    def drill(proxy: FaultProxy) -> Decide:
        def decide(method: str, key: str, attempt: int) -> Action:
            return "503" if method == "PUT" and proxy.in_flight > in_flight else "pass"

        return decide

    return drill


def dead_after(puts: int) -> Drill:
    def drill(proxy: FaultProxy) -> Decide:
        counted = itertools.count(1)
        dead = False

        def decide(method: str, key: str, attempt: int) -> Action:
            nonlocal dead
            dead = dead or (method == "PUT" and next(counted) > puts)
            return "reset" if dead else "pass"

        return decide

    return drill


class Timeline:
    """When each request reached the proxy, and what it was answered."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[float, Action]] = []

    def recording(self, decide: Decide) -> Decide:
        def recorded(method: str, key: str, attempt: int) -> Action:
            action = decide(method, key, attempt)
            with self.lock:
                self.events.append((time.monotonic(), action))
            return action

        return recorded

    def refused_after(self, moment: float) -> str:
        later = [action for at, action in self.events if at > moment]
        refused = sum(action != "pass" for action in later)
        return f"{refused} of {len(later)} ({refused / max(1, len(later)):.1%})"

    def last_passed(self) -> float | None:
        return max((at for at, action in self.events if action == "pass"), default=None)


def drill(
    bench: Bench, upstream_url: str, name: str, make: Drill, yardstick: float | None
) -> tuple[str, float]:
    upstream = urlsplit(upstream_url)  # LocalStack, or the latency proxy in front of it
    assert upstream.hostname is not None
    assert upstream.port is not None
    timeline = Timeline()
    proxy = FaultProxy(upstream.hostname, upstream.port, lambda m, k, a: "pass")
    proxy.decide = timeline.recording(make(proxy))
    bucket = "collectsync-drill"
    bench_s3.reset_bucket(bench.s3, bucket)
    bench.fresh_corpus()
    with proxy.running():
        bench.endpoint = proxy.endpoint
        started = time.monotonic()
        run = measure(bench, "collectsync", bucket, f"drill-{name}", {})
        ended = time.monotonic()
    out = (bench.work / "logs" / f"drill-{name}.out").read_text(errors="replace")
    retried = RETRIED.search(out)
    objects = sum(
        len(page.get("Contents", []))
        for page in bench.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    )
    last = timeline.last_passed()
    ratio = f"{run.seconds / yardstick:.2f}x" if yardstick else "1.00x"
    line = (
        f"| {name} | {run.error or 'exit 0'} | {run.seconds:.1f} | {ratio} | "
        f"{bench_report.format_requests(run.requests)} | {len(proxy.faults)} | "
        f"{timeline.refused_after(started + SETTLING)} | "
        f"{'-' if last is None else f'{ended - last:.1f}'} | "
        f"{retried.group(0) if retried else '-'} | {objects} |"
    )
    log(line)
    return line, run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.benchmark.drill", description=__doc__)
    parser.add_argument("--files", type=int, default=1000, help="synthetic files (1000)")
    parser.add_argument("--cut-after", type=int, default=300, help="PUTs before the cut (300)")
    parser.add_argument("--in-flight", type=int, default=6, help="rate limit (6 at once)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--latency-ms", type=float, default=0, help="added per request (0)")
    add_corpus_option(parser)
    args = parser.parse_args()
    localstack_version()
    drills: list[tuple[str, Drill]] = [
        ("storm (1 PUT in 5: 503 SlowDown)", storm),
        (f"rate-limited (503 above {args.in_flight} at once)", rate_limited(args.in_flight)),
        (f"dead network after {args.cut_after} PUTs", dead_after(args.cut_after)),
    ]
    with (
        tempfile.TemporaryDirectory(prefix="collectsync-drill-") as tmp,
        endpoint_for(args.latency_ms) as upstream,
    ):
        bench = Bench(args, Path(tmp), LOCALSTACK, bench_s3.client(LOCALSTACK))
        line, yardstick = drill(bench, upstream, "undisturbed", undisturbed, None)
        lines = [
            "| drill | outcome | wall s | to undisturbed | requests sent | refused by the proxy "
            f"| refused after the first {SETTLING:.0f} s | s from the last request through to "
            "the end | the command's summary | objects in the bucket |",
            "|---|---|---:|---:|---|---:|---|---:|---|---:|",
            line,
            *(drill(bench, upstream, name, make, yardstick)[0] for name, make in drills),
        ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
