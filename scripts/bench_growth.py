"""The growth table: what a one-CSS-edit deploy costs at N source files and at ``factor`` times N.

An everyday deploy should cost what changed, not the size of the tree. For each size and tool,
one unmeasured cold deploy fills the bucket, then ``--runs`` deploys each follow one edited CSS
file. Sizes count every source (Django admin's and the example site's included), so the larger
corpus has exactly ``factor`` times the files.

Run it as ``scripts/bench --growth 10`` (with --files, --runs, --tools, --latency-ms); the
runs themselves are bench.py's.
"""

from __future__ import annotations

import statistics

from scripts import bench_report
from scripts.bench_report import Row

SCENARIO = "incremental-1"


def growth_files(files: int, base: int, factor: int) -> int:
    """The synthetic files that make ``factor`` times the sources of ``files`` + ``base``."""
    return factor * (files + base) - base


def median(row: Row) -> float | None:
    if row.error:
        return None
    return statistics.median(run.seconds for run in row.runs)


def peak_rss_mb(row: Row) -> float:
    return max(run.max_rss_kb for run in row.runs) / 1024


def render(sizes: list[int], rows: dict[int, list[Row]], tools: list[str]) -> list[str]:
    small, large = sizes
    lines = [
        f"## Growth: one CSS file edited, at {small:,} and {large:,} source files",
        "",
        f"| tool | wall s at {small:,} | wall s at {large:,} | growth | requests at {large:,} "
        f"| peak RSS MB at {large:,} |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for tool in tools:
        at = {size: next(r for r in rows[size] if r.tool == tool) for size in sizes}
        before, after = median(at[small]), median(at[large])
        if before is None or after is None:
            error = at[small].error or at[large].error
            lines.append(f"| {tool} | **failed**: {bench_report.cell(error)} | | | | |")
            continue
        requests = bench_report.format_requests(at[large].median_run.requests)
        lines.append(
            f"| {tool} | {before:.2f} | {after:.2f} | {after / before:.2f}x | {requests} "
            f"| {peak_rss_mb(at[large]):.0f} |"
        )
    lines += [
        "",
        "Each size starts from a fresh corpus and an empty bucket, filled by one unmeasured "
        "cold deploy; every measured run is a fresh `manage.py collectstatic --noinput` after "
        "one synthetic CSS file was edited. Growth is the larger size's median over the smaller's.",
    ]
    return lines
