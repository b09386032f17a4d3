"""Report: what a deploy did, in Django's style, and as JSON for pipelines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import django

from collectsync.conf import conf
from collectsync.errors import DeployError
from collectsync.index.releases import archive_prefix
from collectsync.remote.weather import Throttling
from collectsync.sync.plan import Plan


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def conflict_note(conflicts: int) -> str:
    """Django's words for source files skipped because another has the same path."""
    return f", {conflicts} skipped due to conflict" if conflicts else ""


# Django 6.0 moved collect()'s "Found another file" message from verbosity 1 to 2.
CONFLICT_LOG_LEVEL = 2 if django.VERSION >= (6, 0) else 1


def found_another_file(path: str) -> str:
    """Django's own message for a second source file with the same path."""
    return (
        f"Found another file with the destination path '{path}'. It will be ignored since "
        "only the first encountered file is collected. If this is not what you want, make "
        "sure every static file has a unique path."
    )


@dataclass(frozen=True)
class Outcome:
    source_count: int
    conflicts: list[str]
    """Source paths found more than once (see sources.Read)."""
    plan: Plan | None
    """None when nothing changed, so nothing was staged."""
    deleted: list[str] | None
    """What --prune or --clear deleted (or would delete); None without them."""
    seconds: dict[str, float]
    throttling: Throttling | None = None
    stage: str | None = None
    """The stage directory published, when one was (--publish)."""


def summary(outcome: Outcome, destination: str, *, dry_run: bool, keep_releases: int | None) -> str:
    plan = outcome.plan
    if plan is None:
        text = unchanged_summary(outcome, destination, dry_run=dry_run)
    else:
        text = staged_summary(plan, destination, dry_run=dry_run, stage=outcome.stage)
    text += conflict_note(len(outcome.conflicts))
    if dry_run:
        text += ". Nothing was written (--dry-run)."
    else:
        text += f", in {outcome.seconds['total']:.1f}s."
    text += throttling_note(outcome.throttling)
    if outcome.deleted is None:
        return text
    kept = "this deploy" if keep_releases == 1 else f"the last {keep_releases} deploys"
    action = "would be deleted" if dry_run else "deleted"
    prefix = archive_prefix(conf.INDEX_NAME)
    archived = sum(1 for name in outcome.deleted if name.startswith(prefix))
    count = plural(len(outcome.deleted) - archived, "stale file")
    if archived:
        count += f" and {plural(archived, 'archived copy', 'archived copies')}"
    return text + f"\n{count} {action}; the files of {kept} were kept."


def staged_summary(plan: Plan, destination: str, *, dry_run: bool, stage: str | None) -> str:
    uploads = plan.uploads
    # A stage's files are all there, whether a deploy would have staged them again or not.
    count = plan.staged_count if stage is None else plan.staged_count + plan.reused
    unchanged = count - len(uploads)
    action = "would be uploaded" if dry_run else "uploaded"
    staged = "staged" if stage is None else f"in the stage '{stage}'"
    text = (
        f"\n{plural(count, 'static file')} {staged}; {len(uploads)} {action} "
        f"to '{destination}' ({human_size(plan.upload_bytes)}), {unchanged} unchanged"
    )
    if plan.compression_skipped:
        text += (
            f" (compression skipped for {plural(plan.compression_skipped, 'file')} whose"
            " variants are remote)"
        )
    if plan.unverifiable:
        count = len(plan.unverifiable)
        text += (
            f", {count} uploaded again only because the remote keeps no checksum that shows "
            f"whether {'it' if count == 1 else 'they'} changed"
        )
    if plan.reused and stage is None:
        text += f", {plan.reused} reused from the last deploy without staging"
    if plan.stale_variants:
        deleted = "would be deleted" if dry_run else "deleted"
        text += f", {plural(len(plan.stale_variants), 'stale variant')} {deleted}"
    return text


def throttling_note(throttling: Throttling | None) -> str:
    if throttling is None or not throttling.requests_retried:
        return ""
    text = (
        f"\nThe remote asked to slow down or failed for a moment: "
        f"{plural(throttling.requests_retried, 'request')} retried after "
        f"{throttling.backoff_seconds:.1f}s of backing off"
    )
    if throttling.lowest_concurrency is not None:
        text += f", with as few as {plural(throttling.lowest_concurrency, 'upload')} at once"
    return text + "."


def unchanged_summary(outcome: Outcome, destination: str, *, dry_run: bool) -> str:
    uploaded = "would be uploaded" if dry_run else "was uploaded"
    if outcome.stage is not None:
        return (
            f"\nNothing changed since the last deploy to '{destination}': the stage in "
            f"'{outcome.stage}' has its fingerprint, so nothing {uploaded}"
        )
    sources = plural(outcome.source_count, "source file")
    return (
        f"\nNothing changed since the last deploy to '{destination}': {sources} and the "
        f"settings match its fingerprint, so staging was skipped and nothing {uploaded}"
    )


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


def write_json_report(
    path: str, outcome: Outcome, *, destination: str, requests: dict[str, int], dry_run: bool
) -> None:
    """The deploy, for pipelines: counts, bytes, seconds and requests by operation."""
    plan, deleted = outcome.plan, outcome.deleted
    uploads = plan.uploads if plan and not dry_run else []
    document = {
        "destination": destination,
        "dry_run": dry_run,
        "staging_skipped": plan is None,
        "source_files": outcome.source_count,
        "stage": outcome.stage,
        "staged_files": plan.staged_count if plan else 0,
        "uploaded_files": len(uploads),
        "unchanged_files": plan.staged_count - len(plan.uploads) if plan else 0,
        "planned_uploads": len(plan.uploads) if plan else 0,
        "compression_skipped": plan.compression_skipped if plan else 0,
        "reused_files": plan.reused if plan else 0,
        "bytes_uploaded": sum(f.size for f in uploads),
        "deleted_files": 0 if deleted is None or dry_run else len(deleted),
        "planned_deletions": None if deleted is None else len(deleted),
        "deleted_variants": len(plan.stale_variants) if plan and not dry_run else 0,
        "unverifiable_files": plan.unverifiable if plan else [],
        "seconds": {name: round(value, 3) for name, value in outcome.seconds.items()},
        "requests": dict(sorted(requests.items())),
        "throttling": None if outcome.throttling is None else asdict(outcome.throttling),
    }
    write_report(path, document)


def write_report(path: str, document: dict[str, Any], *, done: str | None = None) -> None:
    """Write a run's JSON report (the deploy's, the history's, the rollback's): an unwritable
    path is one sentence, saying first what the run did (``done``) if it did anything."""
    try:
        Path(path).write_text(json.dumps(document, indent=2) + "\n")
    except OSError as error:
        failed = f"the JSON report could not be written to '{path}' ({error.strerror})"
        raise DeployError(
            (f"{done}, but {failed}" if done else failed[0].upper() + failed[1:])
            + "; give --json-report a path in a writable folder."
        ) from error


def confirmation(destination: str, *, dry_run: bool, clear: bool, pruning: bool) -> str:
    """Django's question before collecting, naming the destination as Django names a local
    one; with one sentence added after --clear's warning, and one for --prune."""
    message = ["\n"]
    if dry_run:
        message.append("You have activated the --dry-run option so no files will be modified.\n\n")
    message.append(
        "You have requested to collect static files at the destination\n"
        f"location as specified in your settings:\n\n    {destination}\n\n"
    )
    if clear:
        message.append(
            "This will DELETE ALL FILES in this location!\n"
            "(Only those this deploy doesn't have, and only once its files are live.)\n"
        )
    else:
        message.append("This will overwrite existing files!\n")
        if pruning:
            message.append(
                "Once the new files are live, the files of older deploys will be DELETED!\n"
            )
    message.append(
        "Are you sure you want to do this?\n\nType 'yes' to continue, or 'no' to cancel: "
    )
    return "".join(message)
