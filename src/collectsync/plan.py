"""Plan: compare the staged files with the sync index."""

from __future__ import annotations

from dataclasses import dataclass

from collectsync.index import SyncIndex
from collectsync.staging import StagedFile, StagedSet


@dataclass(frozen=True)
class Plan:
    new: list[StagedFile]
    changed: list[StagedFile]
    unchanged: list[StagedFile]
    manifest: StagedFile | None
    """The staged manifest, named as the remote knows it, when it must be uploaded."""
    staged_count: int
    compression_skipped: int = 0

    @property
    def staged_content(self) -> list[StagedFile]:
        return self.new + self.changed + self.unchanged

    @property
    def content(self) -> list[StagedFile]:
        return sorted(self.new + self.changed, key=lambda f: f.name)

    @property
    def uploads(self) -> list[StagedFile]:
        """Everything to upload, the manifest last."""
        return self.content + ([self.manifest] if self.manifest else [])

    @property
    def upload_bytes(self) -> int:
        return sum(f.size for f in self.uploads)


def make_plan(staged: StagedSet, index: SyncIndex, *, force: bool) -> Plan:
    new, changed, unchanged = [], [], []
    for staged_file in staged.files:
        if staged_file.name not in index.files:
            new.append(staged_file)
        elif force or not index.holds(staged_file):
            changed.append(staged_file)
        else:
            unchanged.append(staged_file)
    manifest = staged.manifest
    if manifest is not None and not force and index.holds_manifest(manifest):
        manifest = None
    return Plan(
        new=new,
        changed=changed,
        unchanged=unchanged,
        manifest=manifest,
        staged_count=len(staged.files) + (1 if staged.manifest else 0),
        compression_skipped=staged.compression_skipped,
    )
