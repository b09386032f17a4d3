"""Synthetic static files for the benchmark, and the changes made to them between deploys.

A flat heap of same-sized files would not cost what a real tree costs. On a real site CSS points
at images and fonts (so Django's manifest storage has to rewrite and re-hash it), JS ships with
source maps, text is compressible and images are not, and a few files are megabytes. The mix
here is shaped like that. Everything comes from one seed, so every tool is given the very same
bytes, and the very same changes, in every scenario.
"""

from __future__ import annotations

import json
import math
import posixpath
import random
import re
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

TOP = "bench"  # every synthetic name starts with it, so none can clash with admin/ or demo/
APPS = ("shop", "blog", "accounts", "dashboard", "search", "checkout", "cms", "help")
IMG_DIRS = ("img", "img/banners", "img/avatars", "img/ui")
# Share of the (non-large) synthetic files per kind; PNGs take whatever rounding leaves.
SHARES = {"css": 0.10, "js": 0.18, "map": 0.06, "svg": 0.24, "woff2": 0.08}
# (name, size): at most three, fewer for small corpora; binary ones first, as they are the
# commonest big files and the cheapest to stage (Whitenoise does not compress them).
LARGE = (
    ("media/intro.mp4", 4_000_000),
    ("img/hero-4k.png", 3_000_000),
    ("vendor/js/bundle.js", 1_000_000),
)
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".woff2": b"wOF2\x00\x01\x00\x00", ".mp4": b"ftypisom"}
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vi", "zo", "pe", "sa", "do", "fu", "gi", "ba")
JS_WORDS = (
    "const",
    "let",
    "return",
    "function",
    "this",
    "await",
    "async",
    "if",
    "else",
    "new",
    "null",
    "true",
    "false",
    "document",
    "window",
    "state",
    "props",
    "items",
    "value",
    "length",
)
CSS_PROPS = ("color", "margin", "padding", "border-radius", "line-height", "font-size", "gap")


@dataclass(frozen=True)
class Corpus:
    root: Path  # the directory to add to STATICFILES_DIRS
    files: tuple[str, ...]  # names relative to root, "/"-separated
    large: tuple[str, ...]
    seed: int

    @property
    def css(self) -> list[str]:
        return [name for name in self.files if name.endswith(".css")]

    @property
    def total_bytes(self) -> int:
        return sum((self.root / name).stat().st_size for name in self.files)


def log_uniform(rng: random.Random, low: int, high: int) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def word(rng: random.Random, syllables: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


def kind_counts(count: int) -> dict[str, int]:
    counts = {kind: int(count * share) for kind, share in SHARES.items()}
    counts["css"] = max(counts["css"], 1 if count else 0)
    counts["map"] = min(counts["map"], counts["js"])
    counts["png"] = count - sum(counts.values())
    return counts


class Generator:
    """Writes one corpus; names are unique by a running number, contents random but seeded."""

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.serial = 0
        self.written: list[str] = []

    def name(self, folder: str, suffix: str) -> str:
        self.serial += 1
        return f"{TOP}/{folder}/{word(self.rng)}-{word(self.rng, 2)}{self.serial}{suffix}"

    def write(self, name: str, data: bytes) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.written.append(name)
        return name

    def binary(self, name: str, size: int) -> str:
        magic = MAGIC.get(posixpath.splitext(name)[1], b"")
        return self.write(name, magic + self.rng.randbytes(max(size - len(magic), 0)))

    def large(self, name: str, size: int) -> str:
        if name.endswith(".js"):  # text: Django's manifest storage reads JS to rewrite it
            return self.write(name, self.js_text(size).encode())
        return self.binary(name, size)

    def svg(self) -> str:
        points = " ".join(
            f"L{self.rng.randint(0, 240) / 10} {self.rng.randint(0, 240) / 10}"
            for _ in range(log_uniform(self.rng, 20, 700) // 10)
        )
        body = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">\n'
            f'  <path fill="currentColor" d="M0 0 {points} Z"/>\n</svg>\n'
        )
        return self.write(self.name(f"{self.rng.choice(APPS)}/icons", ".svg"), body.encode())

    def js_text(self, size: int) -> str:
        lines: list[str] = []
        length = 0
        while length < size:
            name = f"{word(self.rng)}{word(self.rng, 2).title()}"
            body = " ".join(self.rng.choice(JS_WORDS) for _ in range(self.rng.randint(4, 14)))
            line = f"export function {name}(a, b) {{ {body}; return a.{word(self.rng)}; }}\n"
            lines.append(line)
            length += len(line)
        return "".join(lines)

    def js(self, with_map: bool) -> list[str]:
        name = self.name(f"{self.rng.choice(APPS)}/js", ".js")
        text = self.js_text(log_uniform(self.rng, 1_000, 24_000))
        if not with_map:
            return [self.write(name, text.encode())]
        base = posixpath.basename(name)
        source_map = {"version": 3, "file": base, "sources": [f"src/{base}"], "mappings": ""}
        source_map["mappings"] = ";".join("AAAA,SAAS" for _ in range(len(text) // 40))
        text += f"//# sourceMappingURL={base}.map\n"
        return [
            self.write(name, text.encode()),
            self.write(f"{name}.map", json.dumps(source_map).encode()),
        ]

    def css(self, images: list[str], fonts: list[str], base: str | None) -> str:
        folder = f"{self.rng.choice(APPS)}/css"
        name = self.name(folder, ".css")
        here = posixpath.dirname(name)
        parts = [f'@import url("{posixpath.relpath(base, here)}");\n'] if base else []
        for font in self.rng.sample(fonts, min(len(fonts), 2)):
            parts.append(
                f'@font-face {{ font-family: "{word(self.rng)}"; '
                f'src: url("{posixpath.relpath(font, here)}") format("woff2"); }}\n'
            )
        size = log_uniform(self.rng, 2_000, 16_000)
        while sum(map(len, parts)) < size:
            parts.append(self.css_rule(here, images))
        return self.write(name, "".join(parts).encode())

    def css_rule(self, here: str, images: list[str]) -> str:
        selector = f".{self.rng.choice(APPS)}-{word(self.rng)}__{word(self.rng, 2)}"
        decls = [
            f"{self.rng.choice(CSS_PROPS)}: {self.rng.randint(0, 64)}px"
            for _ in range(self.rng.randint(2, 6))
        ]
        if images and self.rng.random() < 0.3:
            image = posixpath.relpath(self.rng.choice(images), here)
            decls.append(f'background-image: url("{image}")')
        return f"{selector} {{ {'; '.join(decls)}; }}\n"


def generate(root: Path, count: int, seed: int) -> Corpus:
    """Write ``count`` files under a fresh ``root`` (removed first) and describe them."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    gen = Generator(root, seed)
    large = [gen.large(f"{TOP}/{name}", size) for name, size in LARGE[: min(3, count // 100)]]
    counts = kind_counts(count - len(large))
    images = [
        gen.binary(gen.name(f"{gen.rng.choice(APPS)}/{gen.rng.choice(IMG_DIRS)}", ".png"), size)
        for size in (log_uniform(gen.rng, 1_000, 48_000) for _ in range(counts["png"]))
    ]
    images += [gen.svg() for _ in range(counts["svg"])]
    fonts = [
        gen.binary(gen.name(f"vendor/fonts/{word(gen.rng, 2)}", ".woff2"), size)
        for size in (log_uniform(gen.rng, 12_000, 60_000) for _ in range(counts["woff2"]))
    ]
    for index in range(counts["js"]):
        gen.js(with_map=index < counts["map"])
    base: str | None = None
    for _ in range(counts["css"]):
        # Each CSS file may @import the first one, which imports nothing: no import chains, so
        # Django's manifest storage never runs out of post-processing passes.
        name = gen.css(images, fonts, base if base and gen.rng.random() < 0.5 else None)
        base = base or name
    return Corpus(root=root, files=tuple(gen.written), large=tuple(large), seed=seed)


def change_rng(corpus: Corpus, scenario: str, run: int) -> random.Random:
    return random.Random(f"{corpus.seed}:{scenario}:{run}")


def pick_one_css(corpus: Corpus, run: int) -> list[str]:
    return [change_rng(corpus, "incremental-1", run).choice(corpus.css)]


CSS_URL = re.compile(r"""url\(["']?([^"')?#]+)""")


def pick_referenced_image(corpus: Corpus, run: int) -> list[str]:
    """An image that several CSS files refer to (the most referenced ones first in line)."""
    referrers: dict[str, int] = {}
    for css in corpus.css:
        here = posixpath.dirname(css)
        for target in set(CSS_URL.findall((corpus.root / css).read_text())):
            name = posixpath.normpath(posixpath.join(here, target))
            if name.endswith((".png", ".svg")):
                referrers[name] = referrers.get(name, 0) + 1
    most = max(referrers.values())
    shared = sorted(name for name, count in referrers.items() if count >= min(2, most))
    return [change_rng(corpus, "incremental-image", run).choice(shared)]


def pick_share(corpus: Corpus, run: int, share: float) -> list[str]:
    """``share`` of the synthetic files, never the large ones (one would dominate the run)."""
    pool = [name for name in corpus.files if name not in corpus.large]
    count = min(len(pool), max(1, round(len(corpus.files) * share)))
    return sorted(change_rng(corpus, f"share-{share}", run).sample(pool, count))


def change_files(corpus: Corpus, names: list[str], tag: str) -> None:
    """Give each file new content that stays valid for its kind (and for Django's parsers)."""
    tag = re.sub(r"[^A-Za-z0-9]+", "-", tag).strip("-")
    colour = zlib.crc32(tag.encode()) & 0xFFFFFF
    for name in names:
        path = corpus.root / name
        suffix = posixpath.splitext(name)[1]
        if suffix == ".css":
            extra = f"\n/* {tag} */\n.bench-{tag} {{ color: #{colour:06x}; }}\n"
        elif suffix == ".js":
            extra = f"\n// {tag}\n"
        elif suffix == ".svg":
            extra = f"<!-- {tag} -->\n"
        elif suffix == ".map":
            extra = " \n"  # whitespace after the JSON object keeps it valid JSON
        else:
            extra = f"{tag}"  # binary: trailing bytes, as a re-exported image would differ
        with path.open("ab") as handle:
            handle.write(extra.encode())
