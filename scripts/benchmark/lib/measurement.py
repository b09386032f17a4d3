"""What the smaller measurements (release, rollback, etags) share: their options, one measured
`collectstatic` process, and writing the results."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.benchmark.lib.harness import (
    CHILD,
    MANAGE,
    ROOT,
    Bench,
    add_corpus_option,
    child_env,
    run_timed,
)


def options(prog: str, argv: list[str], *, latency: bool = False) -> argparse.Namespace:
    """--files, --runs, --seed, --out-dir; with ``latency``, --latency-ms too."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--files", type=int, default=1000, help="synthetic files (1000)")
    add_corpus_option(parser)
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (3)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    if latency:
        parser.add_argument("--latency-ms", type=float, default=0, help="added per request (0)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench-results")
    return parser.parse_args(argv)


def collectstatic(
    bench: Bench,
    label: str,
    bucket: str,
    *options: str,
    tool: str = "collectsync",
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One `manage.py collectstatic --noinput` of the corpus, a process of its own: its
    seconds and its S3 requests by operation."""
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


def write(args: argparse.Namespace, name: str, results: Any, table: str) -> None:
    """``bench-results/NAME.md`` (the table, also printed) and ``NAME.json`` (every run)."""
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"{name}.md").write_text(table)
    (args.out_dir / f"{name}.json").write_text(json.dumps(results, indent=1))
    print(table)


Results = dict[str, list[dict[str, Any]]]
"""Each measured command's runs, by name: their seconds and requests."""


def median(results: Results, name: str) -> float:
    return statistics.median(run["seconds"] for run in results[name])


def requests(results: Results, name: str) -> str:
    """The requests of the last run of ``name``, by operation."""
    counts = results[name][-1]["requests"]
    return ", ".join(f"{op} {n}" for op, n in sorted(counts.items())) or "none"


def main(
    name: str,
    measure: Callable[[argparse.Namespace, Path], Results],
    table: Callable[[Results, argparse.Namespace], str],
    argv: list[str],
    *,
    latency: bool = False,
) -> None:
    """``python -m scripts.benchmark.NAME``: measure in a temp dir, write the results."""
    args = options(f"python -m scripts.benchmark.{name}", argv, latency=latency)
    with tempfile.TemporaryDirectory(prefix=f"collectsync-bench-{name}-") as work:
        results = measure(args, Path(work))
    write(args, name, results, table(results, args))
