"""The floor table: what a deploy that finds little changed costs at N source files and at
``factor`` times N, next to the floor, and whether the targets are met.

An everyday deploy should cost what changed, not the size of the tree. For each size: the
floor (a process that starts, sets Django up, lists every source and md5s each once), then for
each tool one unmeasured cold deploy fills the bucket and ``--runs`` deploys each follow: nothing
changed, one edited CSS file, and for collectsync the first deploy after a Django release that
left the staticfiles code alone. Sizes count every source (Django admin's and the example site's
included), so the larger corpus has exactly ``factor`` times the files.

Run it as ``scripts/bench --growth 10`` (with --files, --runs, --tools, --latency-ms); the
runs themselves are bench.py's.
"""

from __future__ import annotations

import statistics

from scripts.benchmark.lib import report as bench_report
from scripts.benchmark.lib.report import Row

SCENARIO = "incremental-1"
SCENARIOS = ("warm", SCENARIO)
LABELS = {
    "floor": "floor: start, django.setup(), list and md5 every source",
    "warm": "nothing changed",
    SCENARIO: "one CSS file edited",
    "upgrade": "first deploy after a Django patch release (staticfiles code the same)",
}


def growth_files(files: int, base: int, factor: int) -> int:
    """The synthetic files that make ``factor`` times the sources of ``files`` + ``base``."""
    return factor * (files + base) - base


def median(row: Row | None) -> float | None:
    if row is None or row.error:
        return None
    return statistics.median(run.seconds for run in row.runs)


def peak_rss_mb(row: Row) -> float:
    return max(run.max_rss_kb for run in row.runs) / 1024


def find(rows: list[Row], tool: str, scenario: str) -> Row | None:
    return next((r for r in rows if r.tool == tool and r.scenario == scenario), None)


def size_table(size: int, rows: list[Row], tools: list[str]) -> list[str]:
    lines = [
        f"### {size:,} source files",
        "",
        "| deploy | tool | wall s | requests | peak RSS MB |",
        "|---|---|---:|---|---:|",
    ]
    for row in rows:
        label = LABELS.get(row.scenario, row.scenario)
        if row.error:
            lines.append(
                f"| {label} | {row.tool} | **failed**: {bench_report.cell(row.error)} | | |"
            )
            continue
        requests = bench_report.format_requests(row.median_run.requests) or "none"
        lines.append(
            f"| {label} | {row.tool} | {median(row):.2f} | {requests} | {peak_rss_mb(row):.0f} |"
        )
    return [*lines, ""]


def verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("**met**" if met else "**missed**")


def targets(sizes: list[int], rows: dict[int, list[Row]]) -> list[str]:
    small, large = sizes
    lines = ["### Targets (collectsync)", "", "| target | measured | verdict |", "|---|---|---|"]

    def seconds(size: int, tool: str, scenario: str) -> float | None:
        return median(find(rows[size], tool, scenario))

    for size in sizes:
        edit, same = seconds(size, "collectsync", SCENARIO), seconds(size, "collectsync", "warm")
        floor = seconds(size, "floor", "floor")
        if edit is not None and same is not None:
            ratio = edit / same
            lines.append(
                f"| one-file deploy ≤ 1.3x the no-change deploy at {size:,} | {ratio:.2f}x "
                f"| {verdict(ratio <= 1.3)} |"
            )
        if same is not None and floor is not None:
            lines.append(
                f"| no-change deploy ≤ floor + 0.3 s at {size:,} | floor + {same - floor:.2f} s "
                f"| {verdict(same <= floor + 0.3)} |"
            )
        upgrade, theirs = (
            seconds(size, "collectsync", "upgrade"),
            seconds(size, "collectfasta", SCENARIO),
        )
        if upgrade is not None and theirs is not None:
            ratio = upgrade / theirs
            lines.append(
                f"| upgrade deploy ≤ 0.3x collectfasta's one-file deploy at {size:,} "
                f"| {ratio:.2f}x | {verdict(ratio <= 0.3)} |"
            )
    before, after = seconds(small, "collectsync", SCENARIO), seconds(large, "collectsync", SCENARIO)
    if before is not None and after is not None:
        growth = after / before
        lines.append(
            f"| one-file deploy grows ≤ 1.5x from {small:,} to {large:,} | {growth:.2f}x "
            f"| {verdict(growth <= 1.5)} |"
        )
    edit_row = find(rows[large], "collectsync", SCENARIO)
    if edit_row is not None and not edit_row.error:
        rss = peak_rss_mb(edit_row)
        lines.append(
            f"| peak RSS of the one-file deploy at {large:,} < 150 MB | {rss:.0f} MB "
            f"| {verdict(rss < 150)} |"
        )
    return [*lines, ""]


def render(sizes: list[int], rows: dict[int, list[Row]], tools: list[str]) -> list[str]:
    small, large = sizes
    lines = [
        f"## The floor: deploys that find little changed, at {small:,} and {large:,} sources",
        "",
    ]
    for size in sizes:
        lines += size_table(size, rows[size], tools)
    lines += ["### Growth of the one-file deploy", "", "| tool | growth |", "|---|---:|"]
    for tool in tools:
        before, after = (
            median(find(rows[small], tool, SCENARIO)),
            median(find(rows[large], tool, SCENARIO)),
        )
        growth = "failed" if before is None or after is None else f"{after / before:.2f}x"
        lines.append(f"| {tool} | {growth} |")
    lines += ["", *targets(sizes, rows)]
    lines.append(
        "Each size starts from a fresh corpus and an empty bucket, filled by one unmeasured "
        "cold deploy; every measured run is a fresh `manage.py collectstatic --noinput`. The "
        "upgrade deploy runs with a Django distribution whose version label is newer "
        "(`<version>.postN`) and whose code is the installed one. Times are medians."
    )
    return lines
