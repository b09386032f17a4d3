"""The options collectsync adds to collectstatic, the request they make of a deploy, and what
the command provides the deploy with: a console and Django's collect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from django.core.files.storage import Storage
from django.core.management.base import CommandParser

from collectsync.conf import conf
from collectsync.errors import DeployError
from collectsync.progress import Progress
from collectsync.refusals import refuse_unmeant, rollback_target
from collectsync.stage.sources import Listing

OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--force-sync", {"help": "Upload every staged file, whatever the remote record says."}),
    ("--keep-local", {"help": "Keep the local staging directory and print its path."}),
    (
        "--verify",
        {
            "help": "Check the remote record against a listing of the bucket and upload "
            "whatever is missing or altered."
        },
    ),
    (
        "--prune",
        {
            "help": "After the new manifest is live, delete remote files that belong to none "
            "of the last COLLECTSYNC_KEEP_RELEASES deploys."
        },
    ),
    (
        "--stage-only",
        {
            "metavar": "DIR",
            "action": "store",
            "help": "Stage into DIR without any remote access (again only what changed since "
            "the stage DIR holds), for --publish to upload later.",
        },
    ),
    (
        "--publish",
        {
            "metavar": "DIR",
            "action": "store",
            "help": "Upload the stage --stage-only built into DIR, as a deploy would: no "
            "finders, no post-processing, no compression.",
        },
    ),
    (
        "--release-name",
        {
            "metavar": "NAME",
            "action": "store",
            "help": "Name this deploy's release (default: COLLECTSYNC_RELEASE_NAME, else the "
            "commit the CI names).",
        },
    ),
    ("--history", {"help": "List the recorded releases, newest first, and exit."}),
    (
        "--rollback",
        {
            "metavar": "RELEASE",
            "nargs": "?",
            "const": "previous",
            "action": "store",
            "help": "Make release RELEASE (default: the one before the live one) live again, "
            "by server-side copies: no staging, no uploads.",
        },
    ),
    ("--disable-collectsync", {"help": "Run Django's stock collectstatic."}),
    (
        "--workers",
        {
            "type": int,
            "metavar": "N",
            "action": "store",
            "help": "Upload with N parallel workers (default: COLLECTSYNC_WORKERS).",
        },
    ),
    (
        "--json-report",
        {
            "metavar": "PATH",
            "action": "store",
            "help": "Write counts, bytes, durations and S3 requests as JSON to PATH.",
        },
    ),
]
CLEAR_HELP = (
    "Clear the existing files. With a remote storage: upload first, then delete every remote "
    "file this deploy does not have."
)


def add_options(parser: CommandParser) -> None:
    for action in parser._actions:
        if "--clear" in action.option_strings:
            action.help = CLEAR_HELP
    for flag, spec in OPTIONS:
        parser.add_argument(flag, **{"action": "store_true", **spec})


@dataclass(frozen=True)
class Request:
    """What the command was asked for, as far as the deploy is concerned."""

    ignore_patterns: list[str]
    post_process: bool = True
    dry_run: bool = False
    force_sync: bool = False
    keep_local: bool = False
    verify: bool = False
    workers: int = 16
    keep_releases: int | None = None
    """How many deploys' files to keep remote (1 with --clear), or None when not pruning."""
    json_report: str | None = None
    stage_only: str | None = None
    """Stage into this directory, touching no remote."""
    publish: str | None = None
    """Publish the stage in this directory instead of staging."""
    release_name: str | None = None
    """What the release record calls this deploy (--release-name)."""
    history: bool = False
    rollback: int | Literal["previous"] | None = None
    """The release to roll back to, or the one before the live one. None: no rollback."""

    def full_stage_reason(self) -> str | None:
        flags = [
            (self.force_sync, "--force-sync stages everything"),
            (self.keep_local, "--keep-local keeps a complete staging dir"),
            (self.verify, "--verify checks every file"),
            (not self.post_process, "--no-post-process copies every file"),
        ]
        return next((reason for given, reason in flags if given), None)


def request_from(options: dict[str, Any], ignore_patterns: list[str]) -> Request:
    """The deploy that ``options`` ask for; ``ignore_patterns`` as Django's set_options()
    completed them."""
    workers = conf.WORKERS if options["workers"] is None else options["workers"]
    if workers < 1:
        raise DeployError(f"--workers must be at least 1, not {workers}.")
    refuse_unmeant(options)
    rollback = rollback_target(options["rollback"])
    pruning = options["prune"] or options["clear"]
    return Request(
        ignore_patterns=ignore_patterns,
        post_process=options["post_process"],
        dry_run=options["dry_run"],
        force_sync=options["force_sync"],
        keep_local=options["keep_local"],
        verify=options["verify"],
        workers=workers,
        keep_releases=(1 if options["clear"] else conf.KEEP_RELEASES) if pruning else None,
        json_report=options["json_report"],
        stage_only=options["stage_only"],
        publish=options["publish"],
        release_name=options["release_name"] or conf.RELEASE_NAME or None,
        history=options["history"],
        rollback=rollback,
    )


class Console(Protocol):
    progress: Progress

    def log(self, message: str, level: int) -> None: ...

    def warn(self, message: str) -> None: ...


CollectInto = Callable[[Storage, Listing, "set[str] | None"], None]
"""Runs Django's collect and post-processing into a storage, from the sources listed, and only
for those named, if any are."""
