"""Compare stock collectstatic, collectfasta and collectsync on one corpus against LocalStack S3.

Each measured command is a fresh `manage.py collectstatic --noinput` process, because a deploy is
one: Django's start-up and any per-process cache belong in the numbers. The counts of S3 requests
come from inside each process (see lib/child.py), since wall time alone on a local S3 hides
what those requests would cost against a real one; `--latency-ms` puts that cost back.

Run it through scripts/bench (which sets up the virtualenv and LocalStack first), or from the
repository root as `python -m scripts.benchmark.s3`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scripts.benchmark.lib import buckets as bench_s3
from scripts.benchmark.lib import compression
from scripts.benchmark.lib import corpus as bench_corpus
from scripts.benchmark.lib import growth as bench_growth
from scripts.benchmark.lib import report as bench_report
from scripts.benchmark.lib.corpus import Corpus
from scripts.benchmark.lib.harness import (
    FLOOR,
    LOCALSTACK,
    LOCATION,
    MANAGE,
    ROOT,
    Bench,
    add_corpus_option,
    child_env,
    endpoint_for,
    localstack_version,
    log,
    measure,
    run_timed,
)
from scripts.benchmark.lib.report import Baseline, Context, Row, Run

if TYPE_CHECKING:
    pass

TOOLS = ("stock", "collectfasta", "collectsync")
SCENARIOS = ("cold", "warm", "incremental-1", "incremental-image", "incremental-5%")
BASELINE_WORKERS = 8
DESCRIPTION = "Compare collectstatic tools on one corpus against LocalStack S3."


# --- running one measured process ---------------------------------------------------------


# --- scenarios ----------------------------------------------------------------------------


def preparation(bench: Bench, corpus: Corpus, bucket: str, scenario: str) -> Callable[[int], None]:
    """What to do, unmeasured, before run ``n`` of ``scenario``."""
    if scenario == "cold":
        return lambda n: bench_s3.reset_bucket(bench.s3, bucket)
    if scenario in ("warm", "upgrade"):
        return lambda n: None
    if scenario == "incremental-1":
        return lambda n: bench_corpus.change_files(
            corpus, bench_corpus.pick_one_css(corpus, n), f"{scenario}-run{n}"
        )
    if scenario == "incremental-image":
        return lambda n: bench_corpus.change_files(
            corpus, bench_corpus.pick_referenced_image(corpus, n), f"{scenario}-run{n}"
        )
    if scenario == "incremental-5%":
        return lambda n: bench_corpus.change_files(
            corpus, bench_corpus.pick_share(corpus, n, 0.05), f"{scenario}-run{n}"
        )
    raise ValueError(scenario)


def run_scenario(bench: Bench, corpus: Corpus, tool: str, scenario: str) -> Row:
    bucket = f"collectsync-bench-{tool}"
    prepare = preparation(bench, corpus, bucket, scenario)
    row = Row(tool, scenario)
    for n in range(bench.args.runs):
        try:
            prepare(n)
            extra = upgraded_django(bench, n) if scenario == "upgrade" else {}
            run = measure(bench, tool, bucket, f"{tool}-{scenario}-{n}", extra)
        except Exception as error:  # one broken run must not stop the other tools
            run = Run(0.0, 0, {}, 0, error=f"bench: {error!r}".splitlines()[0])
        row.runs.append(run)
        outcome = run.error or bench_report.format_requests(run.requests)
        log(f"  {tool} {scenario} run {n + 1}/{bench.args.runs}: {run.seconds:.2f} s; {outcome}")
    return row


def tool_rows(bench: Bench, tool: str) -> list[Row]:
    log(f"== {tool}")
    corpus = bench.fresh_corpus()  # every tool starts from the same bytes
    return [run_scenario(bench, corpus, tool, scenario) for scenario in SCENARIOS]


def upgraded_django(bench: Bench, run: int) -> dict[str, str]:
    """The environment of a process that sees another Django release (its version label), with
    the same staticfiles code: a patch release that left staticfiles alone, as most do."""
    import django

    label = f"{django.__version__}.post{run + 1}"
    fake = bench.work / f"upgrade-{run}" / f"django-{label}.dist-info"
    fake.mkdir(parents=True, exist_ok=True)
    (fake / "METADATA").write_text(f"Metadata-Version: 2.1\nName: Django\nVersion: {label}\n")
    return {"PYTHONPATH": str(fake.parent)}


def measure_floor(bench: Bench, label: str) -> Row:
    row = Row("floor", "floor")
    for n in range(bench.args.runs):
        out = bench.work / "logs" / f"{label}-{n}"
        out.parent.mkdir(parents=True, exist_ok=True)
        env = child_env(bench, "collectsync", "collectsync-bench-unused", out.with_suffix(".json"))
        done = run_timed([sys.executable, str(FLOOR), str(MANAGE)], env, out, bench.args.timeout)
        error = "" if done.returncode == 0 else f"exit {done.returncode}"
        row.runs.append(Run(done.seconds, done.max_rss_kb, {}, 0, error=error))
        log(f"  floor run {n + 1}/{bench.args.runs}: {done.seconds:.2f} s")
    return row


def growth_rows(bench: Bench, files: int) -> list[Row]:
    """At ``files`` synthetic files: the floor, then each tool's no-change and one-CSS-edit
    deploys (and collectsync's first deploy after a Django upgrade), after one unmeasured cold
    deploy into an empty bucket."""
    sized = replace(bench, args=argparse.Namespace(**{**vars(bench.args), "files": files}))
    sized.fresh_corpus()
    rows = [measure_floor(sized, f"growth-{files}-floor")]
    for tool in sized.args.tools:
        corpus = sized.fresh_corpus()
        bucket = f"collectsync-bench-{tool}"
        bench_s3.reset_bucket(sized.s3, bucket)
        setup = measure(sized, tool, bucket, f"growth-{files}-{tool}-cold", {})
        log(f"  {tool}, {files} synthetic files: cold deploy to start from, {setup.seconds:.1f} s")
        if setup.error:
            rows.append(Row(tool, bench_growth.SCENARIO, [setup]))
            continue
        scenarios = [*bench_growth.SCENARIOS, *(["upgrade"] if tool == "collectsync" else [])]
        rows += [run_scenario(sized, corpus, tool, scenario) for scenario in scenarios]
    return rows


def run_growth(bench: Bench) -> tuple[str, dict[str, object]]:
    base = sum(source_counts(bench).values()) - bench.args.files
    sizes = [bench.args.files, bench_growth.growth_files(bench.args.files, base, bench.args.growth)]
    rows = {}
    for files in sizes:
        log(f"== growth: {files} synthetic files, {files + base} sources")
        rows[files + base] = growth_rows(bench, files)
    text = "\n".join(bench_growth.render(list(rows), rows, bench.args.tools)) + "\n"
    raw = {str(sources): [asdict(row) for row in size] for sources, size in rows.items()}
    return text, {"growth": raw}


# --- baseline -----------------------------------------------------------------------------


def stage_with_whitenoise(bench: Bench) -> Path:
    """Django's own collectstatic into a local dir with Whitenoise: what collectsync uploads."""
    bench.fresh_corpus()
    root = bench.work / "staged"
    extra = {"BENCH_STATIC_ROOT": str(root)}
    run = measure(bench, "stage", "collectsync-bench-unused", "stage", extra)
    if run.error:
        raise RuntimeError(f"staging for the baseline failed: {run.error}")
    if run.requests:
        raise RuntimeError(f"staging for the baseline made S3 requests: {run.requests}")
    return root


def run_baseline(bench: Bench, staged: Path) -> Baseline:
    log("== baseline: plain parallel PutObject")
    bucket = "collectsync-bench-baseline"
    s3 = bench_s3.client(bench.endpoint, pool=BASELINE_WORKERS + 2)
    seconds: list[float] = []
    upload = bench_s3.Upload(0, 0, 0.0)
    for n in range(bench.args.runs):
        bench_s3.reset_bucket(bench.s3, bucket)
        upload = bench_s3.put_all(s3, bucket, staged, prefix=LOCATION, workers=BASELINE_WORKERS)
        seconds.append(upload.seconds)
        log(f"  baseline run {n + 1}/{bench.args.runs}: {upload.seconds:.2f} s")
    return Baseline(upload.files, upload.bytes, seconds, BASELINE_WORKERS)


# --- set-up -------------------------------------------------------------------------------


def source_counts(bench: Bench) -> dict[str, int]:
    import django

    admin = Path(django.__file__).parent / "contrib" / "admin" / "static"
    site = MANAGE.parent / "demo_site" / "static"
    return {
        "Django admin": sum(1 for p in admin.rglob("*") if p.is_file()),
        "example site": sum(1 for p in site.rglob("*") if p.is_file()),
        **(
            {"npm packages": len(bench.fresh_corpus().files)}
            if bench.args.corpus == "npm"
            else {"synthetic": bench.args.files}
        ),
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=DESCRIPTION)
    parser.add_argument("--files", type=int, default=1000, help="synthetic files (1000)")
    add_corpus_option(parser)
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario; median (3)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated (all)")
    parser.add_argument("--latency-ms", type=float, default=0, help="added per request (0)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--timeout", type=float, default=1800, help="per process, s (1800)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench-results")
    parser.add_argument(
        "--growth",
        type=int,
        default=0,
        metavar="FACTOR",
        help="instead: the floor, no-change, one-CSS-edit and upgrade deploys at --files and "
        "FACTOR times the sources",
    )
    args = parser.parse_args(argv)
    args.tools = [tool.strip() for tool in args.tools.split(",") if tool.strip()]
    unknown = sorted(set(args.tools) - set(TOOLS))
    if unknown or not args.tools:
        parser.error(f"--tools takes a comma-separated subset of {','.join(TOOLS)}")
    if args.files < 10 or args.runs < 1 or args.timeout <= 0 or args.latency_ms < 0:
        parser.error("need --files >= 10, --runs >= 1, --timeout > 0, --latency-ms >= 0")
    if args.growth == 1 or args.growth < 0:
        parser.error("--growth takes a factor of 2 or more")
    if args.growth and args.corpus != "synthetic":
        parser.error("--growth grows the synthetic corpus; it can't be used with --corpus npm")
    return args


# --- main ---------------------------------------------------------------------------------


def run_all(bench: Bench) -> tuple[list[Row], Baseline, Path | None]:
    rows = [row for tool in bench.args.tools for row in tool_rows(bench, tool)]
    try:
        staged = stage_with_whitenoise(bench)
        baseline = run_baseline(bench, staged)
    except Exception as error:  # report it in the table rather than lose the tool rows
        log(f"  baseline failed: {error}")
        return rows, Baseline(0, 0, [], BASELINE_WORKERS, error=str(error).splitlines()[0]), None
    return rows, baseline, staged


def write_results(
    args: argparse.Namespace, text: str, raw: dict[str, object], kind: str = "bench"
) -> Path:
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{args.latency_ms:g}ms"
    (args.out_dir / f"{stem}.json").write_text(json.dumps(raw, indent=1, default=str))
    path: Path = args.out_dir / f"{stem}.md"
    path.write_text(text)
    return path


def describe(bench: Bench, staged: Path | None, localstack: str) -> Context:
    """What the run measured: the corpus as every tool's cold run saw it, and the machine."""
    corpus = bench.fresh_corpus()
    staged_files = bench_s3.staged_files(staged) if staged else []
    return Context(
        latency_ms=bench.args.latency_ms,
        runs=bench.args.runs,
        synthetic_files=bench.args.files,
        seed=bench.args.seed,
        corpus_bytes=corpus.total_bytes,
        large_files=[
            f"{name} ({(corpus.root / name).stat().st_size / 1e6:.1f} MB)" for name in corpus.large
        ],
        source_counts=source_counts(bench),
        staged_files=len(staged_files),
        staged_bytes=sum(path.stat().st_size for path in staged_files),
        localstack_version=localstack,
        corpus=bench.args.corpus,
    )


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    localstack = localstack_version()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="collectsync-bench-") as tmp,
        endpoint_for(args.latency_ms) as endpoint,
    ):
        bench = Bench(args, Path(tmp), endpoint, bench_s3.client(LOCALSTACK))
        if args.growth:
            context = describe(bench, None, localstack)
            growth, raw_growth = run_growth(bench)
            text = "\n".join(bench_report.header(context, ROOT)) + "\n\n" + growth
            path = write_results(args, text, {"context": asdict(context), **raw_growth}, "growth")
            print(text)
            log(f"Wrote {path} in {(time.monotonic() - started) / 60:.1f} min.")
            return
        rows, baseline, staged = run_all(bench)
        context = describe(bench, staged, localstack)
        floor = compression.one_pass(staged) if staged else None
    text = bench_report.render(context, rows, baseline, ROOT)
    if floor is not None:
        text += "\n".join(compression.floor_lines(floor, rows)) + "\n"
    raw: dict[str, object] = {"context": asdict(context), "rows": [asdict(r) for r in rows]}
    raw["compression_floor"] = asdict(floor) if floor else None
    raw["baseline"] = asdict(baseline)
    path = write_results(args, text, raw)
    print(text)
    log(f"Wrote {path} in {(time.monotonic() - started) / 60:.1f} min.")


if __name__ == "__main__":
    main(sys.argv[1:])
