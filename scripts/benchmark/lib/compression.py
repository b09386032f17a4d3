"""The compression floor: the CPU of one gzip + brotli pass, Whitenoise's own calls in one
thread, over the distinct compressible contents of a full Whitenoise collect. Whitenoise
compresses every original and every hashed copy, and most hashed copies hold their original's
bytes; a deploy that compresses each content once comes within a few percent of this."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from scripts.benchmark.lib.report import Row

VARIANTS = (".gz", ".br")
MB = 1_000_000


@dataclass(frozen=True)
class CompressionPass:
    files: int
    """Distinct contents that Whitenoise would compress."""
    bytes: int
    cpu_seconds: float


def one_pass(staged: Path) -> CompressionPass:
    """Time one pass over ``staged`` (a full Whitenoise collect): every file Whitenoise
    compresses, its variants and the manifest aside, each distinct content once."""
    from whitenoise.compress import Compressor

    compressor = Compressor(quiet=True)
    contents: dict[str, bytes] = {}
    for path in sorted(staged.rglob("*")):
        name = path.relative_to(staged).as_posix()
        if not path.is_file() or name == "staticfiles.json":
            continue
        if name.endswith(VARIANTS) and Path(str(path)[:-3]).is_file():
            continue  # a variant Whitenoise wrote next to its file
        if compressor.should_compress(name):
            data = path.read_bytes()
            contents.setdefault(hashlib.md5(data).hexdigest(), data)
    started = time.thread_time()
    for data in contents.values():
        Compressor.compress_gzip(data)
        Compressor.compress_brotli(data)
    spent = time.thread_time() - started
    return CompressionPass(len(contents), sum(map(len, contents.values())), spent)


def floor_lines(floor: CompressionPass, rows: list[Row]) -> list[str]:
    lines = [
        "",
        "## Compression floor",
        "",
        f"One gzip + brotli pass (Whitenoise's calls, one thread) over the {floor.files} "
        f"distinct compressible contents ({floor.bytes / MB:.1f} MB) of that collect: "
        f"**{floor.cpu_seconds:.1f} CPU s**.",
    ]
    cold = next((r for r in rows if r.tool == "collectsync" and r.scenario == "cold"), None)
    spent = cold.median_run.cpu_parts.get("compressing") if cold and not cold.error else None
    if spent is not None and floor.cpu_seconds:
        lines.append(
            f"collectsync's cold deploy (median run) spent {spent:.1f} CPU s compressing: "
            f"{spent / floor.cpu_seconds:.2f}x the floor (target ≤ 1.1x)."
        )
    return lines
