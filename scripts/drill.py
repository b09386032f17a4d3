"""Weather drills against LocalStack: what a throttling storm and a dead network cost a deploy.

Two cold deploys of the benchmark's corpus, each a fresh `manage.py collectstatic --noinput`
at default settings, through the test suite's fault proxy:

- **storm**: one PUT in five (the same ones on every run) is answered `503 SlowDown`;
- **dead network**: after ``--cut-after`` PUTs, every connection is reset.

Reports the exit status, wall time, HTTP requests as the process sent them (retries included),
what the command's summary says about retries, and how many requests the proxy refused.

Usage (LocalStack running): python -m scripts.drill [--files 1000] [--cut-after 300]
"""

from __future__ import annotations

import argparse
import itertools
import re
import tempfile
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from scripts import bench_report, bench_s3
from scripts.bench import LOCALSTACK, Bench, localstack_version, log, measure
from tests.faultproxy import Action, Decide, FaultProxy

RETRIED = re.compile(r"The remote asked to slow down or failed for a moment: [^\n]+")


def storm(method: str, key: str, attempt: int) -> Action:
    if method != "PUT":
        return "pass"
    return "503" if zlib.crc32(f"{key} {attempt}".encode()) % 5 == 0 else "pass"


def dead_after(puts: int) -> Decide:
    counted = itertools.count(1)
    dead = False

    def decide(method: str, key: str, attempt: int) -> Action:
        nonlocal dead
        dead = dead or (method == "PUT" and next(counted) > puts)
        return "reset" if dead else "pass"

    return decide


def drill(bench: Bench, name: str, decide: Decide) -> list[str]:
    upstream = urlsplit(LOCALSTACK)
    assert upstream.hostname is not None
    assert upstream.port is not None
    proxy = FaultProxy(upstream.hostname, upstream.port, decide)
    bucket = "collectsync-drill"
    bench_s3.reset_bucket(bench.s3, bucket)
    bench.fresh_corpus()
    with proxy.running():
        bench.endpoint = proxy.endpoint
        run = measure(bench, "collectsync", bucket, f"drill-{name}", {})
    out = (bench.work / "logs" / f"drill-{name}.out").read_text(errors="replace")
    retried = RETRIED.search(out)
    objects = sum(
        len(page.get("Contents", []))
        for page in bench.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    )
    line = (
        f"| {name} | {run.error or 'exit 0'} | {run.seconds:.1f} | "
        f"{bench_report.format_requests(run.requests)} | {len(proxy.faults)} | "
        f"{retried.group(0) if retried else '-'} | {objects} |"
    )
    log(line)
    return [line]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.drill", description=__doc__)
    parser.add_argument("--files", type=int, default=1000, help="synthetic files (1000)")
    parser.add_argument("--cut-after", type=int, default=300, help="PUTs before the cut (300)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    localstack_version()
    with tempfile.TemporaryDirectory(prefix="collectsync-drill-") as tmp:
        bench = Bench(args, Path(tmp), LOCALSTACK, bench_s3.client(LOCALSTACK))
        lines = [
            "| drill | outcome | wall s | requests sent | refused by the proxy "
            "| the command's summary | objects in the bucket |",
            "|---|---|---:|---|---:|---|---:|",
            *drill(bench, "storm (1 PUT in 5: 503 SlowDown)", storm),
            *drill(bench, f"dead network after {args.cut_after} PUTs", dead_after(args.cut_after)),
        ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
