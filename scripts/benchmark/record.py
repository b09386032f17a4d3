"""What the record (the sync index) costs a deploy, at a given number of sources.

A record shaped like the benchmark corpus's (the same mix of kinds as lib/corpus.py: text
files compressed to .br and .gz, both under their own and their hashed name; stylesheets
referring to images), built in memory from one seed. Timed, as a deploy does them:

- nothing changed: read the record's head;
- one stylesheet edited: read the record and the sources, look up the staged files, record
  the deploy (its sources changed, its old hashed name retired) and write it.

Usage: python -m scripts.benchmark.record [--sources 20000] [--runs 7]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from collectsync.files import VARIANT_SUFFIXES, Source, StagedFile
from collectsync.index.sync_index import SyncIndex
from scripts.benchmark.lib.corpus import SHARES

COMPRESSED = {"css", "js", "map", "svg"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def outputs(name: str, source_md5: str, output_md5: str, size: int) -> list[StagedFile]:
    """What staging writes for one source: itself and then its hashed copy, each followed by
    its variants when the kind is compressed."""
    root, kind = name.rsplit(".", 1)
    files = []
    for output, content in ((name, source_md5), (f"{root}.{output_md5[:12]}.{kind}", output_md5)):
        variants = VARIANT_SUFFIXES if kind in COMPRESSED else None
        files.append(StagedFile(output, Path(output), content, size, variants=variants))
        for suffix in variants or ():
            variant_md5 = md5(output + suffix)
            files.append(StagedFile(output + suffix, Path(output), variant_md5, size // 3, content))
    return files


def hashed_copy(files: list[StagedFile]) -> StagedFile:
    return next(file for file in files[1:] if file.source_md5 is None)


def record(count: int, seed: int) -> tuple[SyncIndex, list[str]]:
    """A record of ``count`` sources as a full deploy writes it; and its stylesheets."""
    rng = random.Random(seed)
    kinds = [*SHARES, "png"]
    weights = [*SHARES.values(), 1 - sum(SHARES.values())]
    names = []
    for number, kind in enumerate(rng.choices(kinds, weights, k=count)):
        folder = rng.choice(("shop", "blog", "accounts", "dashboard", "search", "cms"))
        names.append(f"bench/{folder}/{kind}/file-{number}.{kind}")
    images = [name for name in names if name.endswith((".png", ".svg"))]
    staged: list[StagedFile] = []
    sources: dict[str, Source] = {}
    for name in names:
        source_md5 = md5(name)
        refs = tuple(sorted(rng.sample(images, 5))) if name.endswith(".css") else ()
        # Post-processing rewrites a stylesheet's references: its hashed copy has other bytes.
        output_md5 = md5(name + "processed") if refs else source_md5
        files = outputs(name, source_md5, output_md5, rng.randint(500, 40_000))
        staged += files
        sources[name] = Source(source_md5, hashed_copy(files).name, refs)
    manifest = StagedFile("staticfiles.json", Path("staticfiles.json"), md5("manifest"), 1)
    index = SyncIndex().updated(staged, manifest, release_number=1, sources=sources)
    return index, [name for name in names if name.endswith(".css")]


def one_stylesheet_edited(data: bytes, stylesheet: str) -> bytes:
    index = SyncIndex.from_bytes(data)
    recorded = index.recorded_sources
    assert recorded is not None
    recorded.md5s(), recorded.hashed_names(), recorded.references()  # what select() reads
    old = recorded[stylesheet]
    edited_md5 = md5(stylesheet + "edited")
    staged = outputs(stylesheet, edited_md5, md5(stylesheet + "edited, processed"), 900)
    for file in staged:
        index.holds(file)
    old_hashed = str(old.hashed)
    sources = recorded.changed({stylesheet: Source(edited_md5, hashed_copy(staged).name, old.refs)})
    retiring = [old_hashed, *(old_hashed + suffix for suffix in VARIANT_SUFFIXES)]
    updated = index.updated(
        staged, None, release_number=2, sources=sources, retiring=retiring, fingerprint="new"
    )
    return updated.to_bytes()


def timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds: on a shared machine the CPU time is what the work costs."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    index, stylesheets = record(args.sources, args.seed)
    data = index.to_bytes()
    edited = one_stylesheet_edited(data, stylesheets[0])
    print(f"{args.sources:,} sources, {len(index.files):,} files: {len(data) / 1e6:.2f} MB")
    print(f"after one stylesheet edited: {len(edited) / 1e6:.2f} MB")
    head = timed(lambda: SyncIndex.from_bytes(data).fingerprint, args.runs)
    edit = timed(lambda: one_stylesheet_edited(data, stylesheets[0]), args.runs)
    for label, (wall, cpu) in (
        ("nothing changed (read the head)", head),
        ("one stylesheet edited (read, look up, record, write)", edit),
    ):
        print(f"{label}: {wall * 1000:.1f} ms ({cpu * 1000:.1f} ms CPU)")


if __name__ == "__main__":
    main()
