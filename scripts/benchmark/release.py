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
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from scripts.benchmark.lib import buckets as bench_s3
from scripts.benchmark.lib import corpus as bench_corpus
from scripts.benchmark.lib.harness import (
    CHILD,
    LOCALSTACK,
    MANAGE,
    ROOT,
    Bench,
    child_env,
    log,
    run_timed,
)

DEPLOYED = "collectsync-bench-deployed"
PUBLISHED = "collectsync-bench-published"
PAIRS = [
    ("--stage-only, one CSS edited, warm stage", "full Whitenoise collect", 0.3),
    ("--publish, after that edit", "ordinary deploy of that edit", 1.0),
    ("--publish, nothing changed", "ordinary deploy, nothing changed", 1.0),
]
"""Each measured command, what it is compared with, and the target ratio."""


def command(
    bench: Bench,
    label: str,
    bucket: str,
    *options: str,
    tool: str = "collectsync",
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    out = bench.work / "logs" / label
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = out.with_suffix(".json")
    cmd = [sys.executable, str(CHILD), str(MANAGE), "collectstatic", "--noinput", *options]
    env = {**child_env(bench, tool, bucket, counts), **(extra or {})}
    done = run_timed(cmd, env, out, 1800)
    if done.returncode != 0:
        raise SystemExit(f"{label} failed; see {out.with_suffix('.err')}")
    requests = json.loads(counts.read_text())["requests"] if counts.exists() else {}
    return {"seconds": done.seconds, "requests": requests}


def measure(args: argparse.Namespace, work: Path) -> dict[str, list[dict[str, Any]]]:
    bench = Bench(args, work, LOCALSTACK, bench_s3.client(LOCALSTACK))
    corpus = bench.fresh_corpus()
    for bucket in (DEPLOYED, PUBLISHED):
        bench_s3.reset_bucket(bench.s3, bucket)
    stage = work / "stage"
    stage.mkdir()
    command(bench, "first-deploy", DEPLOYED)
    command(bench, "first-build", PUBLISHED, "--stage-only", str(stage))
    command(bench, "first-publish", PUBLISHED, "--publish", str(stage))
    results: dict[str, list[dict[str, Any]]] = {}

    def run(name: str, label: str, *options: str, **kwargs: Any) -> None:
        result = command(bench, label, *options, **kwargs)
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
        return statistics.median(run["seconds"] for run in results[name])

    def requests(name: str) -> str:
        counts = results[name][-1]["requests"]
        return ", ".join(f"{op} {n}" for op, n in sorted(counts.items())) or "none"

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
    parser = argparse.ArgumentParser(prog="python -m scripts.benchmark.release")
    parser.add_argument("--files", type=int, default=1000, help="synthetic files (1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (3)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="collectsync-bench-release-") as work:
        results = measure(args, Path(work))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "release.md").write_text(table(results, args))
    (args.out_dir / "release.json").write_text(json.dumps(results, indent=1))
    print(table(results, args))


if __name__ == "__main__":
    main(sys.argv[1:])
