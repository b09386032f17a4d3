"""Taking over a bucket whose sync index was lost, and --verify, on S3 whose ETags are MD5s and
on a bucket with SSE-KMS, whose ETags are not: both through the proxy the tests play S3
services with (scripts/faults/) in front of LocalStack, unchanged for the first column, so
that both pay the same proxy.

Each measured deploy is a fresh `manage.py collectstatic` process of the benchmark's corpus
(lib/corpus.py), its S3 requests counted inside it (lib/child.py).

    scripts/localstack start
    .venv/bin/python -m scripts.benchmark.etags --files 1000 --runs 3   # bench-results/etags.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scripts.benchmark.lib import buckets as bench_s3
from scripts.benchmark.lib import measurement
from scripts.benchmark.lib.harness import (
    CHILD,
    LOCALSTACK,
    MANAGE,
    Bench,
    child_env,
    log,
    run_timed,
)
from scripts.faults.proxy import FaultProxy, Service
from scripts.faults.s3_services import KmsEncrypted, Plain

BUCKET = "collectsync-bench-etags"
INDEX_KEY = "static/.collectsync-index.json"
SERVICES: dict[str, type[Service]] = {"ETags are MD5s": Plain, "SSE-KMS ETags": KmsEncrypted}
DEPLOYS = {"index lost, then a deploy": [], "--verify": ["--verify"]}


def deploy(bench: Bench, label: str, *options: str) -> dict[str, Any]:
    out = bench.work / "logs" / label
    out.parent.mkdir(parents=True, exist_ok=True)
    counts, report = out.with_suffix(".json"), out.with_suffix(".report.json")
    cmd = [sys.executable, str(CHILD), str(MANAGE), "collectstatic", "--noinput"]
    cmd += [*options, "--json-report", str(report)]
    done = run_timed(cmd, child_env(bench, "collectsync", BUCKET, counts), out, 1800)
    if done.returncode != 0:
        raise SystemExit(f"{label} failed; see {out.with_suffix('.err')}")
    requests = json.loads(counts.read_text())["requests"]
    uploaded = json.loads(report.read_text())["uploaded_files"]
    return {"seconds": done.seconds, "requests": requests, "uploaded": uploaded}


def measure(args: argparse.Namespace, work: Path, name: str) -> dict[str, list[dict[str, Any]]]:
    upstream = urlsplit(LOCALSTACK)
    host, port = upstream.hostname or "127.0.0.1", upstream.port or 4566
    proxy = FaultProxy(host, port, lambda *_: "pass", SERVICES[name]())
    results: dict[str, list[dict[str, Any]]] = {deploy: [] for deploy in DEPLOYS}
    with proxy.running():
        bench = Bench(args, work, proxy.endpoint, bench_s3.client(LOCALSTACK))
        bench.fresh_corpus()
        bench_s3.reset_bucket(bench.s3, BUCKET)
        deploy(bench, f"{name}-first")
        for run in range(args.runs):
            for label, options in DEPLOYS.items():
                if not options:
                    bench.s3.delete_object(Bucket=BUCKET, Key=INDEX_KEY)
                result = deploy(bench, f"{name}-{label}-{run}", *options)
                log(f"  {name}, {label}, run {run + 1}: {result}")
                results[label].append(result)
    return results


def table(measured: dict[str, dict[str, list[dict[str, Any]]]], args: argparse.Namespace) -> str:
    lines = [
        f"# Adoption and --verify by kind of ETag ({args.files} synthetic files, median of "
        f"{args.runs})",
        "",
        "| deploy | " + " | ".join(measured) + " |",
        "|---|" + "---|" * len(measured),
    ]
    for label in DEPLOYS:
        cells = []
        for runs in (measured[name][label] for name in measured):
            seconds = statistics.median(run["seconds"] for run in runs)
            last = runs[-1]
            requests = ", ".join(f"{op} {n}" for op, n in sorted(last["requests"].items()))
            cells.append(f"{seconds:.2f} s; {last['uploaded']} uploaded; {requests}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    args = measurement.options("python -m scripts.benchmark.etags", argv)
    with tempfile.TemporaryDirectory(prefix="collectsync-bench-etags-") as work:
        measured = {name: measure(args, Path(work), name) for name in SERVICES}
    measurement.write(args, "etags", measured, table(measured, args))


if __name__ == "__main__":
    main(sys.argv[1:])
