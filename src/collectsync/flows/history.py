"""History (``--history``): the releases the sync index records, newest first, from one
request."""

from __future__ import annotations

from typing import Any, ClassVar

from collectsync.flows.reaching import reach
from collectsync.index.releases import Release, archived_index_name
from collectsync.index.stored import read_index
from collectsync.index.sync_index import SyncIndex
from collectsync.options import Console, Request
from collectsync.report import write_report


class History:
    writes: ClassVar[bool] = False
    """Whether it writes to the remote (it only reads: no confirmation)."""

    def __init__(self, backend: dict[str, Any], request: Request, console: Console) -> None:
        self.request = request
        self.console = console
        self.reached = reach(backend)

    @property
    def destination(self) -> str:
        return self.reached.destination

    def run(self) -> str:
        target = self.reached.target
        index = read_index(
            target, verify=False, warn=self.console.warn, inform=lambda m: None
        ).index
        rows = [(release, status(index, release, target.index_name)) for release in index.releases]
        rows.reverse()
        labels = {release.number: release.label for release in index.releases}
        if self.request.json_report:
            document = {
                "destination": self.destination,
                "live": index.live_release.number if index.live_release else None,
                "releases": [{**r.to_json(), "status": s} for r, s in rows],
            }
            write_report(self.request.json_report, document)
        if not rows:
            return f"\nNo release is recorded in {self.destination} yet."
        lines = [f"\nReleases in {self.destination}, newest first:"]
        lines += [line(release, state, labels) for release, state in rows]
        return "\n".join(lines)


def status(index: SyncIndex, release: Release, index_name: str) -> str:
    """``live``, ``available`` (its files are all kept: it can be rolled back to) or
    ``pruned``."""
    if index.live_release == release:
        return "live"
    kept = archived_index_name(index_name, release.number) in index.files
    return "available" if kept else "pruned"


def line(release: Release, state: str, labels: dict[int, str]) -> str:
    kind = (
        f"rollback to {release.rollback_of}"
        if release.rollback_of is not None
        else f"{release.uploaded} uploaded, {release.unchanged} unchanged"
    )
    counts = f"{kind}, {release.deleted} deleted, {release.copied} copied"
    label = release.label or "-"
    if release.rollback_of is not None and not release.label:
        restored = labels.get(release.rollback_of)
        label = f"rollback to {release.rollback_of}" + (f" ({restored})" if restored else "")
    return f"{release.number:>5}  {release.time}  {label:<14}  {release.host}  {counts}  [{state}]"
