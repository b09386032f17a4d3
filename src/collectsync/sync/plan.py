"""Plan: compare the staged files with the sync index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from collectsync.files import VARIANT_SUFFIXES, StagedFile, StagedSet
from collectsync.index.sync_index import SyncIndex


@dataclass(frozen=True)
class Plan:
    new: list[StagedFile]
    changed: list[StagedFile]
    unchanged: list[StagedFile]
    manifest: StagedFile | None
    """The staged manifest, named as the remote knows it, when it must be uploaded."""
    staged_count: int
    compression_skipped: int = 0
    early: list[StagedFile] = field(default_factory=list)
    """New files already uploaded while staging went on."""
    reused: int = 0
    """How many remote files of this deploy were not staged again: their sources are unchanged."""
    retiring: list[str] | None = None
    """The files of the last deploy that this one may no longer have (those of the sources
    staged again or deleted); None when it was staged whole: then all it doesn't have."""
    stale_variants: list[str] = field(default_factory=list)
    """Remote ``.br``/``.gz`` variants of unhashed names that this staging no longer gives
    them: deleted before those names are overwritten, since they hold the old bytes."""
    unverifiable: list[str] = field(default_factory=list)
    """Remote files, adopted or verified from a listing, that nothing the remote keeps could
    show unchanged (no MD5 ETag, no checksum): uploaded again."""

    @property
    def staged_content(self) -> list[StagedFile]:
        return self.new + self.early + self.changed + self.unchanged

    @property
    def uploads(self) -> list[StagedFile]:
        """Everything this deploy uploads, including what went early; the manifest last."""
        content = sorted(self.early + self.new + self.changed, key=lambda f: f.name)
        return content + ([self.manifest] if self.manifest else [])

    @property
    def upload_bytes(self) -> int:
        return sum(f.size for f in self.uploads)


def make_plan(
    staged: StagedSet,
    index: SyncIndex,
    *,
    force: bool,
    uploaded_early: Mapping[str, str] | None = None,
    retiring: list[str] | None = None,
    compressor: str | None = None,
    unverifiable: list[str] | None = None,
) -> Plan:
    """``uploaded_early`` maps what was uploaded during staging to the md5 it had;
    ``retiring`` and ``unverifiable`` are as in Plan."""
    uploaded_early = uploaded_early or {}
    stale = stale_variants(staged, index)
    # Such a name is overwritten only after its stale variants are gone, with the changed ones.
    owners_of_stale = {name.rsplit(".", 1)[0] for name in stale}
    new, early, changed, unchanged = [], [], [], []
    for staged_file in staged.files:
        if uploaded_early.get(staged_file.name) == staged_file.md5:
            early.append(staged_file)
        elif index.knows_nothing_of(staged_file.name) and staged_file.name not in owners_of_stale:
            new.append(staged_file)
        elif force or not index.holds(staged_file, compressor):
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
        reused=0 if retiring is None else reused_count(index, staged, retiring),
        retiring=retiring,
        compression_skipped=staged.compression_skipped,
        early=early,
        stale_variants=stale,
        unverifiable=unverifiable or [],
    )


def stale_variants(staged: StagedSet, index: SyncIndex) -> list[str]:
    """The variants the index records for unhashed staged names that this staging lacks.

    Whitenoise keeps a variant only when compression pays, so new bytes under the same name
    may come with fewer variants than the old ones. A variant not staged is still current
    only if compression was skipped because the index vouched for it; one in doubt (a run
    that stopped may have written it) never is. Hashed names never
    change content, so their variants are never stale.
    """
    staged_names = {f.name for f in staged.files}
    stale = []
    for staged_file in staged.files:
        if staged_file.immutable:
            continue
        entry = index.files.get(staged_file.name)
        kept = (
            entry.variants or ()
            if entry is not None and staged_file.name in staged.variants_kept
            else ()
        )
        stale += [
            staged_file.name + suffix
            for suffix in VARIANT_SUFFIXES
            if suffix not in kept
            and (
                staged_file.name + suffix in index.files
                or index.in_doubt(staged_file.name + suffix)
            )
            and staged_file.name + suffix not in staged_names
        ]
    return sorted(stale)


def reused_count(index: SyncIndex, staged: StagedSet, retiring: list[str]) -> int:
    """The last deploy's files that this one keeps without staging them again."""
    touched = {f.name for f in staged.files}.union(retiring)
    # Variants not made again because the remote holds them for the same bytes.
    touched.update(name + suffix for name in staged.variants_kept for suffix in VARIANT_SUFFIXES)
    gone = sum(1 for name in touched if (entry := index.files.get(name)) and entry.left is None)
    return index.live_count - gone
