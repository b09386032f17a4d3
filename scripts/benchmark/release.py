"""Build once, publish at release: `--stage-only` into a warm stage directory after a one-file
edit, against a full Whitenoise collect of the same sources; `--publish` of that stage, against
an ordinary deploy of the same edit; and both with nothing changed.

Each measured command is a fresh `manage.py collectstatic` process of the benchmark's corpus
(lib/corpus.py), its S3 requests counted inside it (lib/child.py), against
LocalStack at default settings.

    scripts/localstack start
    .venv/bin/python -m scripts.benchmark.release --files 1865 --runs 3   # bench-results/release.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scripts.benchmark.lib import buckets as bench_s3
from scripts.benchmark.lib import corpus as bench_corpus
from scripts.benchmark.lib import measurement
from scripts.benchmark.lib.harness import LOCALSTACK, Bench, log

DEPLOYED = "collectsync-bench-deployed"
PUBLISHED = "collectsync-bench-published"
PAIRS = [
    ("--stage-only, one CSS edited, warm stage", "full Whitenoise collect", 0.3),
    ("--publish, after that edit", "ordinary deploy of that edit", 1.0),
    ("--publish, nothing changed", "ordinary deploy, nothing changed", 1.0),
]
"""Each measured command, what it is compared with, and the target ratio."""


def measure(args: argparse.Namespace, work: Path) -> dict[str, list[dict[str, Any]]]:
    bench = Bench(args, work, LOCALSTACK, bench_s3.client(LOCALSTACK))
    corpus = bench.fresh_corpus()
    for bucket in (DEPLOYED, PUBLISHED):
        bench_s3.reset_bucket(bench.s3, bucket)
    stage = work / "stage"
    stage.mkdir()
    measurement.collectstatic(bench, "first-deploy", DEPLOYED)
    measurement.collectstatic(bench, "first-build", PUBLISHED, "--stage-only", str(stage))
    measurement.collectstatic(bench, "first-publish", PUBLISHED, "--publish", str(stage))
    results: dict[str, list[dict[str, Any]]] = {}

    def run(name: str, label: str, *options: str, **kwargs: Any) -> None:
        result = measurement.collectstatic(bench, label, *options, **kwargs)
        log(f"  {name}: {result['seconds']:.2f} s; {result['requests']}")
        results.setdefault(name, []).append(result)

    for n in range(args.runs):
        bench_corpus.change_files(corpus, bench_corpus.pick_one_css(corpus, n), f"release-{n}")
        collected = {"BENCH_STATIC_ROOT": str(work / f"collected-{n}")}
        run(PAIRS[0][1], f"collect-{n}", DEPLOYED, tool="stage", extra=collected)
        run(PAIRS[0][0], f"build-{n}", PUBLISHED, "--stage-only", str(stage))
        run(PAIRS[1][0], f"publish-{n}", PUBLISHED, "--publish", str(stage))
        run(PAIRS[1][1], f"deploy-{n}", DEPLOYED)
        run(PAIRS[2][0], f"publish-again-{n}", PUBLISHED, "--publish", str(stage))
        run(PAIRS[2][1], f"deploy-again-{n}", DEPLOYED)
    index = "static/.collectsync-index.json"
    deployed = bench_s3.contents(bench.s3, DEPLOYED, leave_out=index)
    same = deployed == bench_s3.contents(bench.s3, PUBLISHED, leave_out=index)
    log(f"  the published bucket holds the deployed one's objects, byte for byte: {same}")
    results["identical"] = [{"same": same}]
    return results


def table(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    def median(name: str) -> float:
        return measurement.median(results, name)

    def requests(name: str) -> str:
        return measurement.requests(results, name)

    lines = [
        f"# Build once, publish at release ({args.files} synthetic files, median of "
        f"{args.runs}, default settings)",
        "",
        "| command | seconds | requests | compared with | seconds | requests | ratio | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for measured, baseline, target in PAIRS:
        ratio = median(measured) / median(baseline)
        lines.append(
            f"| {measured} | {median(measured):.2f} | {requests(measured)} | {baseline} | "
            f"{median(baseline):.2f} | {requests(baseline)} | {ratio:.2f}x | ≤ {target}x |"
        )
    same = results["identical"][0]["same"]
    lines += ["", f"Published bucket byte-identical to the deployed one: {same}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    measurement.main("release", measure, table, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
