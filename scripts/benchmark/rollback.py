"""Rollback: `--rollback` after a one-file deploy, after a deploy that changed 5 % of the
files, and after a real Django upgrade (the admin's files of Django 5.2, then the installed
Django's: lib/django_admin.py), each against the ordinary one-file deploy (target ≤ 1.0x);
and that deploy's requests, with the copies it now makes for a rollback.

Each measured command is a fresh `manage.py collectstatic` process of the benchmark's corpus
(lib/corpus.py), its S3 requests counted inside it (lib/child.py), against LocalStack at
default settings.

    scripts/localstack start
    scripts/bench rollback --files 1865 --runs 3 [--latency-ms 25] [--corpus npm]
                                                  # bench-results/rollback.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scripts.benchmark.lib import buckets as bench_s3
from scripts.benchmark.lib import corpus as bench_corpus
from scripts.benchmark.lib import django_admin, measurement
from scripts.benchmark.lib.harness import LOCALSTACK, Bench, endpoint_for, log

BUCKET = "collectsync-bench-rollback"
ONE_FILE = "ordinary deploy, one CSS edited"
UPGRADE = f"ordinary deploy, Django {django_admin.EARLIER}'s admin files to the installed ones"
ROWS = [
    ("--rollback after a one-CSS deploy", 1.0),
    ("--rollback after a 5 % deploy", 1.0),
    ("--rollback after the Django upgrade deploy", 1.0),
]


def command(bench: Bench, label: str, *options: str) -> dict[str, Any]:
    return measurement.collectstatic(bench, label, BUCKET, *options)


def measure(args: argparse.Namespace, work: Path) -> dict[str, list[dict[str, Any]]]:
    with endpoint_for(args.latency_ms) as endpoint:
        return measured(Bench(args, work, endpoint, bench_s3.client(LOCALSTACK)))


def measured(bench: Bench) -> dict[str, list[dict[str, Any]]]:
    args = bench.args
    corpus = bench.fresh_corpus()
    shadowed = django_admin.shadow(corpus.root)
    log(f"Django {django_admin.EARLIER}'s admin: {shadowed} files, shadowing the installed ones")
    bench_s3.reset_bucket(bench.s3, BUCKET)
    command(bench, "first-deploy")
    results: dict[str, list[dict[str, Any]]] = {}

    def run(name: str, label: str, *options: str) -> None:
        result = command(bench, label, *options)
        log(f"  {name}: {result['seconds']:.2f} s; {result['requests']}")
        results.setdefault(name, []).append(result)

    for n in range(args.runs):
        bench_corpus.change_files(corpus, bench_corpus.pick_one_css(corpus, n), f"one-{n}")
        run(ONE_FILE, f"deploy-one-{n}")
        run(ROWS[0][0], f"rollback-one-{n}", "--rollback")
        command(bench, f"forward-one-{n}")  # the edited sources again: incremental
        bench_corpus.change_files(corpus, bench_corpus.pick_share(corpus, n, 0.05), f"many-{n}")
        command(bench, f"deploy-many-{n}")
        run(ROWS[1][0], f"rollback-many-{n}", "--rollback")
        command(bench, f"forward-many-{n}")
        django_admin.upgrade(corpus.root)
        run(UPGRADE, f"deploy-upgrade-{n}")
        run(ROWS[2][0], f"rollback-upgrade-{n}", "--rollback")
        command(bench, f"forward-upgrade-{n}")
        django_admin.shadow(corpus.root)
        command(bench, f"downgrade-{n}")  # for the next run's upgrade
    return results


def table(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    def median(name: str) -> float:
        return measurement.median(results, name)

    def requests(name: str) -> str:
        return measurement.requests(results, name)

    lines = [
        f"# Rollback ({corpus_name(args)}, median of {args.runs}, "
        f"{args.latency_ms:g} ms added per request, default settings)",
        "",
        f"{ONE_FILE}: {median(ONE_FILE):.2f} s; {requests(ONE_FILE)}.",
        f"{UPGRADE}: {median(UPGRADE):.2f} s; {requests(UPGRADE)}.",
        "",
        "| command | seconds | requests | vs the one-CSS deploy | target |",
        "|---|---|---|---|---|",
    ]
    for measured, target in ROWS:
        ratio = median(measured) / median(ONE_FILE)
        lines.append(
            f"| {measured} | {median(measured):.2f} | {requests(measured)} | {ratio:.2f}x | "
            f"≤ {target}x |"
        )
    return "\n".join(lines) + "\n"


def corpus_name(args: argparse.Namespace) -> str:
    if getattr(args, "corpus", "synthetic") == "npm":
        return "the npm packages' files"
    return f"{args.files} synthetic files"


def main(argv: list[str]) -> None:
    measurement.main("rollback", measure, table, argv, latency=True)


if __name__ == "__main__":
    main(sys.argv[1:])
