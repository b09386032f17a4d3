"""collectstatic, for remote storages: stage locally, then upload only what changed."""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TextIO, cast

import django
from django.contrib.staticfiles.management.commands import collectstatic
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage
from django.core.management.base import CommandError, CommandParser

from collectsync import staging
from collectsync.conf import conf
from collectsync.fingerprint import input_fingerprint
from collectsync.index import SyncIndex
from collectsync.memory import limit_allocator
from collectsync.plan import Plan, make_plan
from collectsync.progress import Bar, Progress
from collectsync.remote import (
    RemoteError,
    build_remote_storage,
    configured_backend,
    is_local_backend,
    manifest_remote,
    open_remote,
)
from collectsync.report import (
    deletion_line,
    json_report,
    plan_lines,
    pruned_summary,
    summary,
    unchanged_summary,
)
from collectsync.staging import StagedFile, StagedSet
from collectsync.sync import (
    Target,
    UploadFailed,
    apply_plan,
    prune,
    read_index,
    save_partial_record,
    with_partial_record,
)
from collectsync.upload import background_uploads


class Command(collectstatic.Command):
    keep_deploys: int | None = None
    """How many deploys' files to keep remote (1 with --clear), or None when not pruning."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.progress = Progress(None)
        self.collecting = Bar()
        self.uploading = Bar()

    help = (
        "Collect static files. For a remote storage, stage them locally and upload only "
        "what changed (django-collectsync)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        for action in parser._actions:
            if "--clear" in action.option_strings:
                action.help = (
                    "Clear the existing files. With a remote storage: upload first, then "
                    "delete every remote file this deploy does not have."
                )
        parser.add_argument(
            "--force-sync",
            action="store_true",
            help="Upload every staged file, whatever the remote record says.",
        )
        parser.add_argument(
            "--keep-local",
            action="store_true",
            help="Keep the local staging directory and print its path.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help="Upload with N parallel workers (default: COLLECTSYNC_WORKERS).",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Check the remote record against a listing of the bucket and upload "
            "whatever is missing or altered.",
        )
        parser.add_argument(
            "--json-report",
            metavar="PATH",
            help="Write counts, bytes, durations and S3 requests as JSON to PATH.",
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="After the new manifest is live, delete remote files that belong to none of "
            "the last COLLECTSYNC_KEEP_DEPLOYS deploys.",
        )
        parser.add_argument(
            "--disable-collectsync",
            action="store_true",
            help="Run Django's stock collectstatic.",
        )

    def handle(self, **options: Any) -> str | None:
        backend = configured_backend()
        try:
            local = is_local_backend(backend)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if options["disable_collectsync"] or not conf.ENABLED or local:
            result: str | None = super().handle(**options)
            return result
        if options["link"]:
            raise CommandError("Can't symlink to a remote destination.")  # Django's own words
        workers = options["workers"] or conf.WORKERS
        if workers < 1:
            raise CommandError(f"--workers must be at least 1, not {workers}.")
        try:
            with sigterm_as_interrupt():
                return self.sync(backend, options, workers=workers)
        except (RemoteError, UploadFailed, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        except KeyboardInterrupt as error:
            raise CommandError(
                "Interrupted: the manifest and the sync index are unchanged, so the site still "
                "uses the previous release. Rerun to deploy."
            ) from error

    def sync(self, backend: dict[str, Any], options: dict[str, Any], *, workers: int) -> str | None:
        started = time.monotonic()
        self.set_options(**options)
        if self.verbosity >= 1 and self.stderr.isatty():
            self.progress = Progress(cast(TextIO, self.stderr._out))
        # Before staging: the stock collect that stages resets self.clear.
        self.keep_deploys = 1 if self.clear else conf.KEEP_DEPLOYS if options["prune"] else None
        storage = build_remote_storage(backend)
        remote = open_remote(storage, fresh=lambda: build_remote_storage(backend))
        if self.interactive:
            self.confirm(remote.destination)
        manifest = manifest_remote(storage, remote)
        target = Target(
            content=remote,
            index_name=conf.INDEX_NAME,
            manifest=manifest[0] if manifest else None,
            manifest_name=manifest[1] if manifest else None,
        )
        # Reading the index is mostly waiting for S3, hashing the sources mostly disk and
        # hashlib, which lets go of the GIL: side by side, the no-change path is done sooner.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="collectsync-index") as reader:
            reading = reader.submit(
                read_index,
                target,
                verify=options["verify"],
                warn=self.stderr.write,
                inform=lambda message: self.log(message, level=1),
            )
            try:
                inputs = input_fingerprint(
                    self.ignore_patterns,
                    post_process=self.post_process,
                    manifest_name=target.manifest_name,
                )
            except OSError as error:
                raise CommandError(staging.explain_failure(error)) from error
            index = reading.result()
        fingerprint, source_count = inputs.fingerprint, inputs.source_count
        skip_staging = not (options["force_sync"] or options["keep_local"] or options["verify"])
        if skip_staging and fingerprint == index.fingerprint:
            # Staging would have had Django's collect() say this.
            for path in inputs.conflicts:
                self.log(found_another_file(path), level=CONFLICT_LOG_LEVEL)
            deleted = None
            if self.keep_deploys is not None:
                deleted = self.prune_stale(target, with_partial_record(target, index))
            elapsed = time.monotonic() - started
            self.write_json_report(
                options,
                target,
                source_count=source_count,
                plan=None,
                deleted=deleted,
                seconds={"total": elapsed},
            )
            if self.verbosity < 1:
                return None
            return unchanged_summary(
                remote.destination,
                source_count,
                elapsed=elapsed,
                dry_run=self.dry_run,
                conflicts=len(inputs.conflicts),
            ) + self.prune_summary(deleted)
        index = with_partial_record(target, index)
        limit_allocator()  # before staging and uploading start their threads
        staging_started = time.monotonic()
        compressor = staging.compressor_identity()
        own_names = {target.index_name, target.partial_name}
        with (
            staging.staging_dir(keep=options["keep_local"]) as root,
            background_uploads(
                target.content,
                workers=workers,
                is_new=lambda name: index.knows_nothing_of(name) and name not in own_names,
            ) as early,
        ):
            known = SyncIndex() if options["force_sync"] else index

            def offer_early(files: list[StagedFile]) -> None:
                refuse_own_names(own_names, files)
                early.offer(files)

            with self.progress.bar("Collecting", total=source_count) as self.collecting:
                staged = self.stage(
                    root,
                    target.manifest_name,
                    options,
                    known,
                    compressor,
                    on_final=None if self.dry_run else offer_early,
                )
            refuse_own_names(own_names, staged.files)
            uploaded_early, failures = early.finish()
            if failures:
                save_partial_record(target, index, uploaded_early)
                raise UploadFailed(failures)
            plan = make_plan(
                staged,
                index,
                force=options["force_sync"],
                uploaded_early={f.name: f.md5 for f in uploaded_early},
            )
            upload_started = time.monotonic()
            if options["keep_local"]:
                self.stdout.write(f"Staged files kept in '{root}'.")
            if self.dry_run:
                for line in plan_lines(plan):
                    self.log(line, level=1)
                live = index.updated(
                    plan.staged_content, plan.manifest, generation=index.generation + 1
                )
            else:
                with self.progress.bar("Uploading", total=len(plan.uploads)) as self.uploading:
                    for staged_early in plan.early:
                        self.uploaded(staged_early)
                    live = apply_plan(
                        plan,
                        index,
                        target,
                        fingerprint=fingerprint,
                        compressor=compressor,
                        workers=workers,
                        on_uploaded=self.uploaded,
                        warn=self.stderr.write,
                    )
            if not self.dry_run:
                for name in plan.stale_variants:
                    self.log(deletion_line(name, dry_run=False), level=2)
        deleted = self.prune_stale(target, live) if self.keep_deploys is not None else None
        finished = time.monotonic()
        seconds = {
            "total": finished - started,
            "staging": upload_started - staging_started,
            "upload": finished - upload_started,
        }
        self.write_json_report(
            options, target, source_count=source_count, plan=plan, deleted=deleted, seconds=seconds
        )
        if self.verbosity < 1:
            return None
        text = summary(
            plan,
            remote.destination,
            elapsed=seconds["total"],
            dry_run=self.dry_run,
            conflicts=len(inputs.conflicts),
        )
        return text + self.prune_summary(deleted)

    def prune_stale(self, target: Target, live: SyncIndex) -> list[str]:
        assert self.keep_deploys is not None
        deleted = prune(
            target,
            live,
            keep_deploys=self.keep_deploys,
            dry_run=self.dry_run,
            warn=self.stderr.write,
        )
        for name in deleted:
            # Deletions are listed at the default verbosity in a dry run: that is what it is for.
            self.log(deletion_line(name, dry_run=self.dry_run), level=1 if self.dry_run else 2)
        return deleted

    def prune_summary(self, deleted: list[str] | None) -> str:
        if deleted is None:
            return ""
        return "\n" + pruned_summary(len(deleted), self.keep_deploys or 1, dry_run=self.dry_run)

    def write_json_report(
        self,
        options: dict[str, Any],
        target: Target,
        *,
        source_count: int,
        plan: Plan | None,
        deleted: list[str] | None,
        seconds: dict[str, float],
    ) -> None:
        if not options["json_report"]:
            return
        requests = Counter(target.content.requests)
        if target.manifest is not None and target.manifest is not target.content:
            requests.update(target.manifest.requests)
        report = json_report(
            target.content.destination,
            source_count=source_count,
            plan=plan,
            deleted=deleted,
            seconds=seconds,
            requests=dict(requests),
            dry_run=self.dry_run,
        )
        try:
            Path(options["json_report"]).write_text(report)
        except OSError as error:
            raise CommandError(
                f"Could not write the JSON report to '{options['json_report']}': {error.strerror}."
            ) from error

    def confirm(self, destination: str) -> None:
        message = ["\n"]
        if self.dry_run:
            message.append(
                "You have activated the --dry-run option so no files will be modified.\n\n"
            )
        message.append(
            "You have requested to collect static files at the destination\n"
            f"location as specified in your settings:\n\n    {destination}\n\n"
        )
        if self.clear:
            message.append(
                "This will DELETE ALL FILES in this location!\n"
                "(Only those this deploy doesn't have, and only once its files are live.)\n"
            )
        else:
            message.append("This will overwrite existing files!\n")
        if self.keep_deploys and not self.clear:
            message.append(
                "Once the new files are live, the files of older deploys will be DELETED!\n"
            )
        message.append(
            "Are you sure you want to do this?\n\nType 'yes' to continue, or 'no' to cancel: "
        )
        if input("".join(message)) != "yes":
            raise CommandError("Collecting static files cancelled.")

    def stage(
        self,
        root: Path,
        remote_manifest_name: str | None,
        options: dict[str, Any],
        index: SyncIndex,
        compressor: str,
        *,
        on_final: Callable[[list[StagedFile]], None] | None,
    ) -> StagedSet:
        """Run Django's own collect and post-processing into ``root``; pass each file whose
        bytes are final to ``on_final`` as soon as it is, before staging ends."""
        local = staging.build_local_storage(root)
        self.progress.show_post_processing(local, after=self.collecting)
        # Every file hashed while staging, so that no file is read twice.
        described: dict[str, StagedFile] = {}
        compression = staging.CompressionFilter(local, root, index, compressor, described)
        if on_final is not None:
            # Constructed second so that it wraps compression's filter: files are reported,
            # and hashed, before compression chooses what to compress.
            staging.FinishedFiles(local, root, staging.manifest_name_of(local), on_final, described)
        # Symlinks to the sources instead of copies: post-processing only ever writes new names
        # (hashed copies, .gz, .br) and reads the originals through the links.
        link = staging.sources_are_local(self.ignore_patterns)
        configured = self.storage
        self.storage = local
        self.__dict__.pop("local", None)  # cached_property computed from self.storage
        try:
            super().handle(
                **{
                    **options,
                    "interactive": False,
                    "dry_run": False,
                    "clear": False,
                    "link": link,
                }
            )
        # Django 6.0 and later re-raise post-processing errors as a multi-line CommandError.
        except (ValueError, OSError, CommandError) as error:
            raise CommandError(staging.explain_failure(error)) from error
        finally:
            self.storage = configured
            self.__dict__.pop("local", None)
        # The original dry-run flag: Django's set_options() above reset it to False.
        self.dry_run = options["dry_run"]
        local_manifest = staging.manifest_name_of(local) if remote_manifest_name else None
        staged = staging.scan(root, local_manifest, compression, described)
        if staged.manifest is None or remote_manifest_name is None:
            return staged
        return dataclasses.replace(
            staged,
            manifest=dataclasses.replace(staged.manifest, name=remote_manifest_name),
        )

    def uploaded(self, staged: StagedFile) -> None:
        self.uploading.tick()
        self.log(f"Uploaded '{staged.name}'", level=2)

    def copy_file(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        super().copy_file(path, prefixed_path, source_storage)
        self.collecting.tick()

    def link_file(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        super().link_file(path, prefixed_path, source_storage)
        self.collecting.tick()


# Django 6.0 moved collect()'s "Found another file" message from verbosity 1 to 2.
CONFLICT_LOG_LEVEL = 2 if django.VERSION >= (6, 0) else 1


def found_another_file(path: str) -> str:
    """Django's own message for a second source file with the same path."""
    return (
        f"Found another file with the destination path '{path}'. It will be ignored since "
        "only the first encountered file is collected. If this is not what you want, make "
        "sure every static file has a unique path."
    )


def refuse_own_names(own_names: set[str], files: list[StagedFile]) -> None:
    reserved = own_names & {f.name for f in files}
    if reserved:
        raise CommandError(
            f"A static file is named '{sorted(reserved)[0]}', which collectsync uses "
            "for its sync index; rename the file or set COLLECTSYNC_INDEX_NAME."
        )


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (a cancelled CI job) like Ctrl-C, so every cleanup path runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
