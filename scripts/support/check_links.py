"""Fail on a broken relative link in the project's Markdown: README.md, CHANGELOG.md, docs/.

A link to a file must name one that exists; a link to a heading (``page.md#some-heading``) must
name a heading of that page, slugged as GitHub slugs them. Links to the web are not checked.

Usage: python scripts/support/check_links.py (from anywhere; exits 1 listing each broken link)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
FENCE = re.compile(r"^\s*```")


def prose(path: Path) -> list[str]:
    """The lines outside code blocks."""
    lines, inside = [], False
    for line in path.read_text().splitlines():
        if FENCE.match(line):
            inside = not inside
        elif not inside:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(m[1]) for line in prose(path) if (m := HEADING.match(line))}


def broken_links(page: Path) -> list[str]:
    found = []
    for line in prose(page):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue  # https:, mailto:
            name, _, anchor = target.partition("#")
            linked = (page.parent / name).resolve() if name else page
            if not linked.exists():
                found.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                found.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    return found


def main() -> None:
    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [link for page in pages for link in broken_links(page)]
    for link in broken:
        print(f"Broken link in {link}", file=sys.stderr)
    if broken:
        raise SystemExit(1)
    print(f"{len(pages)} pages, every relative link resolves.")


if __name__ == "__main__":
    main()
