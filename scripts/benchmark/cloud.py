"""collectsync and collectfasta on Google Cloud Storage (gcp-storage-emulator) and Azure Blob
(Azurite), and for comparison S3 (LocalStack), on the benchmark's corpus
(lib/corpus.py): the first deploy into an empty bucket, nothing changed, one CSS file
edited, and collectsync taking over the bucket that collectfasta filled.

Each measured deploy is a fresh `manage.py collectstatic` process; its requests are counted
inside it (scripts/benchmark/lib/child.py), its wall time and peak RSS taken from outside.

    scripts/emulators start   # and scripts/localstack start, for --storages s3
    .venv/bin/python -m scripts.benchmark.cloud --files 500 --runs 3   # bench-results/cloud.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient

from scripts.benchmark.lib import buckets as bench_s3
from scripts.benchmark.lib import corpus as bench_corpus
from scripts.benchmark.lib.harness import (
    CHILD,
    LOCALSTACK,
    MANAGE,
    ROOT,
    Bench,
    child_env,
    first_error_line,
    log,
    run_timed,
)

GCS = "http://127.0.0.1:9023"
AZURITE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    # Azurite's published development key, the same in every installation.
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
)
TOOLS = ("collectsync", "collectfasta")
STORAGE_NAMES = {"gcs": "Google Cloud Storage", "azure": "Azure Blob", "s3": "S3, LocalStack"}


def empty_bucket(bench: Bench, storage: str, bucket: str) -> None:
    """A new empty bucket (or container) named ``bucket``."""
    if storage == "s3":
        bench_s3.reset_bucket(bench.s3, bucket)
        return
    if storage == "gcs":
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage as gcs

        client = gcs.Client(
            project="bench",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": GCS},
        )
        existing = client.lookup_bucket(bucket)
        if existing is not None:
            for blob in client.list_blobs(bucket):
                blob.delete()
            existing.delete()
        client.create_bucket(bucket)
        return
    service = BlobServiceClient.from_connection_string(AZURITE)
    container = service.get_container_client(bucket)
    if container.exists():
        container.delete_container()
    service.create_container(bucket)


def deploy(bench: Bench, storage: str, tool: str, bucket: str, label: str) -> dict[str, Any]:
    out = bench.work / "logs" / label
    out.parent.mkdir(parents=True, exist_ok=True)
    counts, report = out.with_suffix(".json"), out.with_suffix(".report.json")
    cmd = [sys.executable, str(CHILD), str(MANAGE), "collectstatic", "--noinput"]
    if tool == "collectsync":
        cmd += ["--json-report", str(report)]
    env = {
        **child_env(bench, tool, bucket, counts),
        "BENCH_STORAGE": storage,
        "DEMO_AZURE_CONNECTION": AZURITE,
        "STORAGE_EMULATOR_HOST": GCS,
    }
    done = run_timed(cmd, env, out, bench.args.timeout)
    result: dict[str, Any] = {"seconds": done.seconds, "rss_mb": done.max_rss_kb // 1024}
    result["requests"] = json.loads(counts.read_text())["requests"] if counts.exists() else {}
    if report.exists():
        result["uploaded"] = json.loads(report.read_text())["uploaded_files"]
    if done.returncode != 0:
        result["error"] = first_error_line(out.with_suffix(".err").read_text(errors="replace"))
    log(f"  {label}: {result}")
    return result


def measure(bench: Bench, storage: str) -> dict[str, dict[str, list[dict[str, Any]]]]:
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for tool in bench.args.tools:
        corpus = bench.fresh_corpus()  # both tools start from, and edit to, the same bytes
        bucket = f"collectsync-bench-{tool}"
        empty_bucket(bench, storage, bucket)
        row = rows[tool] = {"first deploy": [], "nothing changed": [], "one CSS edited": []}
        row["first deploy"].append(deploy(bench, storage, tool, bucket, f"{storage}-{tool}-cold"))
        for n in range(bench.args.runs):
            label = f"{storage}-{tool}-{n}"
            row["nothing changed"].append(deploy(bench, storage, tool, bucket, f"{label}-warm"))
            bench_corpus.change_files(corpus, bench_corpus.pick_one_css(corpus, n), f"css-{n}")
            row["one CSS edited"].append(deploy(bench, storage, tool, bucket, f"{label}-css"))
    if "collectfasta" not in rows:
        return rows
    # The corpus is where collectfasta's last deploy left its bucket.
    takeover = deploy(bench, storage, "collectsync", "collectsync-bench-collectfasta", "takeover")
    rows["collectsync"]["taking over collectfasta's bucket"] = [takeover]
    return rows


def cell(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return ""
    if any("error" in run for run in runs):
        return f"fails: {next(run['error'] for run in runs if 'error' in run)}"
    seconds = statistics.median(run["seconds"] for run in runs)
    last = runs[-1]
    requests = ", ".join(f"{op} {n}" for op, n in sorted(last["requests"].items()))
    uploaded = f"; {last['uploaded']} uploaded" if "uploaded" in last else ""
    return f"{seconds:.2f} s{uploaded}; {requests}; {last['rss_mb']} MB"


def table(measured: dict[str, dict[str, dict[str, list[dict[str, Any]]]]], runs: int) -> str:
    lines = [f"Medians of {runs} (the first deploy and the takeover: one run)."]
    for storage, rows in measured.items():
        tools = list(rows)
        lines += ["", f"## {STORAGE_NAMES[storage]}", "", "| deploy | " + " | ".join(tools) + " |"]
        lines.append("|---|" + "---|" * len(tools))
        for scenario in rows[tools[0]]:
            cells = [cell(rows[tool].get(scenario, [])) for tool in tools]
            lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.benchmark.cloud")
    parser.add_argument("--files", type=int, default=1000, help="synthetic files (1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each later deploy (3)")
    parser.add_argument("--storages", default="gcs,azure", help="of gcs,azure,s3 (gcs,azure)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument(
        "--tools",
        type=lambda text: [tool for tool in TOOLS if tool in text.split(",")],
        default=list(TOOLS),
        help="of collectsync,collectfasta (both; the takeover needs both)",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="per process, s (1800)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)
    if "gcs" in args.storages:
        with urllib.request.urlopen(GCS, timeout=5):  # the emulator answers, or stop here
            pass
    with tempfile.TemporaryDirectory(prefix="collectsync-bench-cloud-") as work:
        bench = Bench(args, Path(work), LOCALSTACK, bench_s3.client(LOCALSTACK))
        measured = {storage: measure(bench, storage) for storage in args.storages.split(",")}
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "cloud.json").write_text(json.dumps(measured, indent=1))
    (args.out_dir / "cloud.md").write_text(table(measured, args.runs))
    print(table(measured, args.runs))


if __name__ == "__main__":
    main(sys.argv[1:])
