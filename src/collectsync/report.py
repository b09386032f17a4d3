"""Report: what a run did, in Django's style."""

from __future__ import annotations

import json
from collections.abc import Iterator

from collectsync.plan import Plan


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def conflict_note(conflicts: int) -> str:
    """Django's words for source files skipped because another has the same path."""
    return f", {conflicts} skipped due to conflict" if conflicts else ""


def summary(
    plan: Plan, destination: str, *, elapsed: float, dry_run: bool, conflicts: int = 0
) -> str:
    uploads = plan.uploads
    unchanged = plan.staged_count - len(uploads)
    action = "would be uploaded" if dry_run else "uploaded"
    text = (
        f"\n{plural(plan.staged_count, 'static file')} staged; {len(uploads)} {action} "
        f"to '{destination}' ({human_size(plan.upload_bytes)}), {unchanged} unchanged"
    )
    if plan.compression_skipped:
        text += (
            f" (compression skipped for {plural(plan.compression_skipped, 'file')} whose"
            " variants are remote)"
        )
    if plan.stale_variants:
        deleted = "would be deleted" if dry_run else "deleted"
        text += f", {plural(len(plan.stale_variants), 'stale variant')} {deleted}"
    text += conflict_note(conflicts)
    if dry_run:
        return text + ". Nothing was written (--dry-run)."
    return text + f", in {elapsed:.1f}s."


def unchanged_summary(
    destination: str, source_count: int, *, elapsed: float, dry_run: bool, conflicts: int = 0
) -> str:
    text = (
        f"\nNothing changed since the last deploy to '{destination}': "
        f"{plural(source_count, 'source file')} and the settings match its fingerprint, "
        "so staging was skipped and nothing "
    )
    if dry_run:
        return (
            text + f"would be uploaded{conflict_note(conflicts)}. Nothing was written (--dry-run)."
        )
    return text + f"was uploaded{conflict_note(conflicts)}, in {elapsed:.1f}s."


def pruned_summary(count: int, keep_deploys: int, *, dry_run: bool) -> str:
    kept = "this deploy" if keep_deploys == 1 else f"the last {keep_deploys} deploys"
    action = "would be deleted" if dry_run else "deleted"
    return f"{plural(count, 'stale file')} {action}; the files of {kept} were kept."


def plan_lines(plan: Plan) -> Iterator[str]:
    """What a dry run would do, in the words of Django's own dry run."""
    for staged in plan.new:
        yield f"Pretending to copy '{staged.name}' (new)"
    for name in plan.stale_variants:
        yield f"Pretending to delete '{name}' (stale variant)"
    for staged in plan.changed:
        yield f"Pretending to copy '{staged.name}' (changed)"
    if plan.manifest is not None:
        yield f"Pretending to copy '{plan.manifest.name}' (manifest, last)"


def deletion_line(name: str, *, dry_run: bool) -> str:
    return f"Pretending to delete '{name}'" if dry_run else f"Deleted '{name}'"


def json_report(
    destination: str,
    *,
    source_count: int,
    plan: Plan | None,
    deleted: list[str] | None = None,
    seconds: dict[str, float],
    requests: dict[str, int],
    dry_run: bool,
) -> str:
    """The run, for deploy pipelines. ``plan`` is None when staging was skipped."""
    uploads = plan.uploads if plan and not dry_run else []
    document = {
        "destination": destination,
        "dry_run": dry_run,
        "staging_skipped": plan is None,
        "source_files": source_count,
        "staged_files": plan.staged_count if plan else 0,
        "uploaded_files": len(uploads),
        "unchanged_files": plan.staged_count - len(plan.uploads) if plan else 0,
        "planned_uploads": len(plan.uploads) if plan else 0,
        "compression_skipped": plan.compression_skipped if plan else 0,
        "bytes_uploaded": sum(f.size for f in uploads),
        "deleted_files": 0 if deleted is None or dry_run else len(deleted),
        "planned_deletions": None if deleted is None else len(deleted),
        "deleted_variants": len(plan.stale_variants) if plan and not dry_run else 0,
        "seconds": {name: round(value, 3) for name, value in seconds.items()},
        "requests": dict(sorted(requests.items())),
    }
    return json.dumps(document, indent=2) + "\n"
