"""Running each measured command as a process of its own: the bench's state, the child's
environment, timing and peak RSS, the first line of a failure, and LocalStack reached
directly or through the latency proxy."""

from __future__ import annotations

import argparse
import compileall
import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scripts.benchmark.lib import corpus as bench_corpus
from scripts.benchmark.lib import npm_corpus
from scripts.benchmark.lib.corpus import Corpus
from scripts.benchmark.lib.report import Run

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


ROOT = Path(__file__).resolve().parents[3]
MANAGE = ROOT / "example" / "manage.py"
CHILD = ROOT / "scripts" / "benchmark" / "lib" / "child.py"
PROXY = ROOT / "scripts" / "benchmark" / "lib" / "latency_proxy.py"
FLOOR = ROOT / "scripts" / "benchmark" / "lib" / "floor.py"
LOCALSTACK = "http://127.0.0.1:4566"
LOCATION = "static"
STDERR_TAIL_LINES = 30


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
        if getattr(self.args, "corpus", "synthetic") == "npm":
            return npm_corpus.assemble(self.corpus_root)
        return bench_corpus.generate(self.corpus_root, self.args.files, self.args.seed)


def add_corpus_option(parser: argparse.ArgumentParser) -> None:
    """--corpus: the synthetic files (lib/corpus.py) or the npm packages' (lib/npm_corpus.py)."""
    parser.add_argument(
        "--corpus",
        choices=("synthetic", "npm"),
        default="synthetic",
        help="synthetic files (--files of them), or real packages' built files from npm "
        "(lib/npm_corpus.py; --files is then ignored)",
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Finished:
    returncode: int
    seconds: float
    max_rss_kb: int
    timed_out: bool
    cpu_seconds: float
    """User and system CPU of the process and its threads (not of LocalStack)."""


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
    cpu = usage.ru_utime + usage.ru_stime
    return Finished(proc.returncode, seconds, usage.ru_maxrss, killed.is_set(), cpu)


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


@functools.cache
def compile_sources() -> None:
    """Compile collectsync's and the example site's modules once, as pip does when it
    installs a package. A child started with PYTHONDONTWRITEBYTECODE would otherwise compile
    them on every run (0.16 s of a no-change deploy), which the tools it is compared with,
    installed with their bytecode, never pay."""
    for folder in ("src", "example"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def child_env(bench: Bench, tool: str, bucket: str, counts: Path) -> dict[str, str]:
    compile_sources()
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
        cpu_seconds=done.cpu_seconds,
        requests=tally.get("requests", {}),
        bytes_put=tally.get("bytes_put", 0),
        cpu_parts=tally.get("cpu_parts", {}),
    )
    if done.timed_out:
        run.error = f"timed out after {bench.args.timeout:g} s"
    elif done.returncode != 0:
        stderr = out.with_suffix(".err").read_text(errors="replace")
        run.error = f"exit {done.returncode}: {first_error_line(stderr)}"
        run.stderr_tail = "\n".join(stderr.splitlines()[-STDERR_TAIL_LINES:])
    return run


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
