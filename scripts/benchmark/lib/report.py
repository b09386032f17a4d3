"""The benchmark's results as markdown, with enough context to compare two of them later.

Numbers from a 2-core CI box and a laptop differ by more than the tools do, and collectsync
changes under the benchmark, so the header says where, when and with what it was measured.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

OPERATION_ORDER = ("HEAD", "GET", "LIST", "PUT", "POST", "DELETE", "OTHER")
PACKAGES = (
    ("Django", "Django"),
    ("whitenoise", "whitenoise"),
    ("django-storages", "django-storages"),
    ("boto3", "boto3"),
    ("collectfasta", "collectfasta"),
    ("collectsync", "django-collectsync"),
)
MB = 1_000_000


@dataclass
class Run:
    seconds: float
    max_rss_kb: int
    requests: dict[str, int]
    bytes_put: int
    cpu_seconds: float = 0.0  # user + system, of the measured process alone
    cpu_parts: dict[str, float] = field(default_factory=dict)
    """CPU seconds of its threads compressing, hashing and in requests (lib/child.py)."""
    error: str = ""  # the first line of what went wrong; empty when the run succeeded
    stderr_tail: str = ""  # the end of a failed run's stderr, for the JSON results


@dataclass
class Row:
    tool: str
    scenario: str
    runs: list[Run] = field(default_factory=list)

    @property
    def error(self) -> str:
        return next((run.error for run in self.runs if run.error), "")

    @property
    def median_run(self) -> Run:
        """The run whose wall time is the median (the lower middle one for an even count)."""
        ordered = sorted(self.runs, key=lambda run: run.seconds)
        return ordered[(len(ordered) - 1) // 2]


@dataclass
class Baseline:
    files: int
    bytes: int
    seconds: list[float]
    workers: int
    error: str = ""


@dataclass
class Context:
    latency_ms: float
    runs: int
    synthetic_files: int
    seed: int
    corpus_bytes: int
    large_files: list[str]
    source_counts: dict[str, int]
    staged_files: int
    staged_bytes: int
    localstack_version: str
    corpus: str = "synthetic"
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return "unknown CPU"


def memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_revision(root: Path) -> str:
    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30
        )
        return result.stdout.strip()

    dirty = " with uncommitted changes in src/" if git("status", "--porcelain", "src") else ""
    return f"{git('rev-parse', '--short', 'HEAD') or 'unknown'}{dirty}"


def format_requests(requests: dict[str, int]) -> str:
    known = [op for op in OPERATION_ORDER if requests.get(op)]
    others = sorted(op for op in requests if op not in OPERATION_ORDER and requests[op])
    return ", ".join(f"{op} {requests[op]}" for op in [*known, *others]) or "none"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_row(row: Row) -> str:
    if row.error:
        failed = sum(1 for run in row.runs if run.error)
        message = f"**failed** ({failed}/{len(row.runs)} runs): {cell(row.error)}"
        return f"| {row.tool} | {row.scenario} | {message} | | | | | | | | |"
    wall = statistics.median(run.seconds for run in row.runs)
    each = ", ".join(f"{run.seconds:.1f}" for run in row.runs)
    mid = row.median_run
    rss = max(run.max_rss_kb for run in row.runs) / 1024
    cpu = statistics.median(run.cpu_seconds for run in row.runs)
    puts = mid.requests.get("PUT", 0)
    per_thousand = f"{1000 * mid.cpu_seconds / puts:.2f}" if puts else ""
    return (
        f"| {row.tool} | {row.scenario} | {wall:.2f} | {each} | {format_requests(mid.requests)} "
        f"| {sum(mid.requests.values())} | {mid.bytes_put / MB:.1f} | {cpu:.2f} | {per_thousand} "
        f"| {cpu_split(mid)} | {rss:.0f} |"
    )


def cpu_split(run: Run) -> str:
    """Compressing / hashing / requests / the rest, in CPU seconds."""
    if not run.cpu_parts:
        return ""
    parts = [run.cpu_parts.get(part, 0.0) for part in ("compressing", "hashing", "requests")]
    return " / ".join(f"{seconds:.1f}" for seconds in [*parts, run.cpu_seconds - sum(parts)])


def corpus_label(context: Context) -> str:
    if context.corpus == "npm":
        return "npm: built files of pinned packages, scripts/benchmark/lib/npm_corpus.py"
    return f"synthetic: seed {context.seed}"


def header(context: Context, root: Path) -> list[str]:
    sources = ", ".join(f"{name} {count}" for name, count in context.source_counts.items())
    versions = ", ".join(f"{label} {version(dist)}" for label, dist in PACKAGES)
    latency = (
        f"{context.latency_ms:g} ms added per request by a proxy in front of LocalStack "
        "(it holds back the first byte of each response; uploads that wait for "
        "`100 Continue` pay it twice)"
    )
    return [
        f"# collectstatic benchmark, {context.latency_ms:g} ms latency",
        "",
        f"- Date: {context.started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}, {memory_gib()} RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}; LocalStack "
        f"{context.localstack_version} runs on the same CPUs",
        f"- S3: LocalStack at 127.0.0.1:4566, {latency if context.latency_ms else 'direct'}",
        f"- Source files: {sources} ({corpus_label(context)}, "
        f"{context.corpus_bytes / MB:.1f} MB, large: {', '.join(context.large_files) or 'none'})",
        *(
            [
                f"- Staged by Whitenoise (hashed copies, .gz, .br, manifest): "
                f"{context.staged_files} files, {context.staged_bytes / MB:.1f} MB"
            ]
            if context.staged_files
            else []
        ),
        f"- Runs: median of {context.runs}; every run is a fresh `manage.py collectstatic "
        "--noinput` process with no local cache",
        f"- Versions: {versions}; collectsync at {git_revision(root)}",
    ]


TABLE_HEAD = [
    "| tool | scenario | wall s (median) | each run, s | S3 requests by operation (median run) "
    "| requests | MB up | CPU s (median) | CPU s per 1,000 PUT "
    "| CPU s compressing / hashing / requests / collecting, post-processing and the rest "
    "| peak RSS MB |",
    "|---|---|---:|---|---|---:|---:|---:|---:|---|---:|",
]

NOTES = [
    "Scenarios run in this order per tool, each from the state the previous one left: "
    "**cold** empties the bucket before every run; **warm** changes nothing; "
    "**incremental-1** changes one synthetic CSS file before every run; "
    "**incremental-image** changes an image that several CSS files refer to; **incremental-5%** "
    "changes 5% of the synthetic files (any kind but the large ones) before every run. "
    "Wall time includes Python and Django start-up. LIST is a GET of the bucket; MB up counts "
    "PUT bodies; CPU is the measured process's user and system time (threads included, "
    "LocalStack's not), the median of the runs, and per 1,000 PUTs that of the median run; "
    "its split is the median run's, measured inside the process by wrapping Whitenoise's gzip "
    "and brotli calls, the md5s of Django's hashed names and collectsync's files, and "
    "botocore's API calls (each thread's CPU while in them), and collectsync's uploads "
    "through the AWS CRT (the calling threads' CPU and the CRT's own threads'); the last "
    "column is the rest: start-up, collecting, post-processing and planning. collectfasta's "
    "own md5s count in the rest. "
    "Peak RSS is the largest of the runs.",
    "",
    "What each tool uploads differs: stock and collectfasta write each file and its hashed "
    "copy plus the manifest; collectsync stages with Whitenoise, so it also writes `.gz` and "
    "`.br` variants of compressible files (and its sync index), which is why its cold run "
    "has more PUTs and MB.",
]


def baseline_lines(baseline: Baseline | None, rows: list[Row]) -> list[str]:
    if baseline is None:
        return []
    lines = ["", "## Baseline: plain parallel PutObject", ""]
    if baseline.error:
        return [*lines, f"Failed: {cell(baseline.error)}"]
    wall = statistics.median(baseline.seconds)
    lines.append(
        f"One boto3 client, {baseline.workers} threads, one PutObject per file, of the "
        f"{baseline.files} files ({baseline.bytes / MB:.1f} MB) Whitenoise staged from the cold "
        f"corpus: median {wall:.2f} s ({', '.join(f'{s:.2f}' for s in baseline.seconds)}), "
        f"**{baseline.files / wall:.0f} files/s, {baseline.bytes / MB / wall:.1f} MB/s**."
    )
    cold = next((r for r in rows if r.tool == "collectsync" and r.scenario == "cold"), None)
    if cold is not None and not cold.error:
        mid = cold.median_run
        puts = mid.requests.get("PUT", 0)
        lines.append(
            f"collectsync cold, for comparison: {puts} PUTs, {mid.bytes_put / MB:.1f} MB in "
            f"{mid.seconds:.2f} s of wall time including start-up and staging, i.e. "
            f"{puts / mid.seconds:.0f} files/s, {mid.bytes_put / MB / mid.seconds:.1f} MB/s "
            "end to end."
        )
    return lines


def render(context: Context, rows: list[Row], baseline: Baseline | None, root: Path) -> str:
    lines = [*header(context, root), "", *TABLE_HEAD, *map(table_row, rows), "", *NOTES]
    lines += baseline_lines(baseline, rows)
    return "\n".join(lines) + "\n"
