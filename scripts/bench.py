"""Compare stock collectstatic, collectfasta and collectsync on one corpus against LocalStack S3.

Each measured command is a fresh `manage.py collectstatic --noinput` process, because a deploy is
one: Django's start-up and any per-process cache belong in the numbers. The counts of S3 requests
come from inside each process (see bench_child.py), since wall time alone on a local S3 hides
what those requests would cost against a real one; `--latency-ms` puts that cost back.

Run it through scripts/bench (which sets up the virtualenv and LocalStack first), or from the
repository root as `python -m scripts.bench`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scripts import bench_corpus, bench_growth, bench_report, bench_s3
from scripts.bench_corpus import Corpus
from scripts.bench_report import Baseline, Context, Row, Run

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example" / "manage.py"
CHILD = ROOT / "scripts" / "bench_child.py"
PROXY = ROOT / "scripts" / "bench_proxy.py"
FLOOR = ROOT / "scripts" / "bench_floor.py"
LOCALSTACK = "http://127.0.0.1:4566"
TOOLS = ("stock", "collectfasta", "collectsync")
SCENARIOS = ("cold", "warm", "incremental-1", "incremental-image", "incremental-5%")
LOCATION = "static"
BASELINE_WORKERS = 8
STDERR_TAIL_LINES = 30
DESCRIPTION = "Compare collectstatic tools on one corpus against LocalStack S3."


@dataclass
class Bench:
    args: argparse.Namespace
    work: Path
    endpoint: str  # what the tools talk to: LocalStack itself, or the latency proxy
    s3: S3Client  # straight to LocalStack, for the resets nobody measures

    @property
    def corpus_root(self) -> Path:
        return self.work / "corpus"

    def fresh_corpus(self) -> Corpus:
        return bench_corpus.generate(self.corpus_root, self.args.files, self.args.seed)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- running one measured process ---------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    returncode: int
    seconds: float
    max_rss_kb: int
    timed_out: bool


def run_timed(cmd: list[str], env: dict[str, str], out: Path, timeout: float) -> Finished:
    """Run ``cmd`` to the end or the timeout; wall time and peak RSS from os.wait4."""
    with out.with_suffix(".out").open("wb") as stdout, out.with_suffix(".err").open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=MANAGE.parent, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err
        )
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.send_signal(signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen so
    return Finished(proc.returncode, seconds, usage.ru_maxrss, killed.is_set())


def first_error_line(stderr: str) -> str:
    """The exception's first line after a traceback, else Django's CommandError, else the end."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if "Traceback (most recent call last):" in lines:
        tail = lines[len(lines) - lines[::-1].index("Traceback (most recent call last):") :]
        message = next((line for line in tail if not line.startswith(" ")), "")
        if message:
            return message[:200]
    command = next((line for line in lines if line.startswith("CommandError")), "")
    return (command or (lines[-1] if lines else "no output"))[:200]


def child_env(bench: Bench, tool: str, bucket: str, counts: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        DJANGO_SETTINGS_MODULE="demo_site.settings_bench",
        BENCH_TOOL=tool,
        BENCH_COUNTS_FILE=str(counts),
        DEMO_BUCKET=bucket,
        DEMO_LOCATION=LOCATION,
        DEMO_S3_ENDPOINT=bench.endpoint,
        DEMO_EXTRA_STATIC_DIRS=str(bench.corpus_root),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


def measure(bench: Bench, tool: str, bucket: str, label: str, extra: dict[str, str]) -> Run:
    out = bench.work / "logs" / label
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = out.with_suffix(".json")
    counts.unlink(missing_ok=True)
    env = {**child_env(bench, tool, bucket, counts), **extra}
    cmd = [sys.executable, str(CHILD), str(MANAGE), "collectstatic", "--noinput"]
    done = run_timed(cmd, env, out, bench.args.timeout)
    tally = json.loads(counts.read_text()) if counts.exists() else {}
    run = Run(
        seconds=done.seconds,
        max_rss_kb=done.max_rss_kb,
        requests=tally.get("requests", {}),
        bytes_put=tally.get("bytes_put", 0),
    )
    if done.timed_out:
        run.error = f"timed out after {bench.args.timeout:g} s"
    elif done.returncode != 0:
        stderr = out.with_suffix(".err").read_text(errors="replace")
        run.error = f"exit {done.returncode}: {first_error_line(stderr)}"
        run.stderr_tail = "\n".join(stderr.splitlines()[-STDERR_TAIL_LINES:])
    return run


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


def localstack_version() -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{LOCALSTACK}/_localstack/health", timeout=5) as response:
            health = json.load(response)
    except OSError as error:
        raise SystemExit(f"LocalStack does not answer at {LOCALSTACK}: {error}") from error
    if health.get("services", {}).get("s3") not in {"available", "running"}:
        raise SystemExit(f"LocalStack at {LOCALSTACK} has no S3 running: {health}")
    return str(health.get("version", "unknown"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the latency proxy exited with status {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise SystemExit(f"the latency proxy did not listen on port {port} within {timeout:g} s")


@contextlib.contextmanager
def endpoint_for(latency_ms: float) -> Iterator[str]:
    """LocalStack itself, or a proxy in front of it that adds ``latency_ms`` per request."""
    if latency_ms <= 0:
        yield LOCALSTACK
        return
    port = free_port()
    cmd = [sys.executable, str(PROXY), "--port", str(port), "--latency-ms", f"{latency_ms:g}"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        log(f"Latency proxy: 127.0.0.1:{port} -> 127.0.0.1:4566, +{latency_ms:g} ms")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def source_counts(bench: Bench) -> dict[str, int]:
    import django

    admin = Path(django.__file__).parent / "contrib" / "admin" / "static"
    site = MANAGE.parent / "demo_site" / "static"
    return {
        "Django admin": sum(1 for p in admin.rglob("*") if p.is_file()),
        "example site": sum(1 for p in site.rglob("*") if p.is_file()),
        "synthetic": bench.args.files,
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=DESCRIPTION)
    parser.add_argument("--files", type=int, default=1000, help="synthetic files (1000)")
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
    text = bench_report.render(context, rows, baseline, ROOT)
    raw: dict[str, object] = {"context": asdict(context), "rows": [asdict(r) for r in rows]}
    raw["baseline"] = asdict(baseline)
    path = write_results(args, text, raw)
    print(text)
    log(f"Wrote {path} in {(time.monotonic() - started) / 60:.1f} min.")


if __name__ == "__main__":
    main(sys.argv[1:])
