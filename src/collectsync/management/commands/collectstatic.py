"""collectstatic, for remote storages: stage locally, then upload only what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO, cast

from django.contrib.staticfiles.management.commands import collectstatic
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage
from django.core.management.base import CommandError, CommandParser

from collectsync.conf import conf
from collectsync.errors import DeployError, interrupted
from collectsync.flows.announcing import AnnouncementFailed
from collectsync.flows.build import Build
from collectsync.flows.choice import flow_for
from collectsync.interrupts import interrupts_noted
from collectsync.options import Request, add_options, request_from
from collectsync.progress import Bar, Progress
from collectsync.refusals import refuse_without_collectsync, without_collectsync
from collectsync.remote.dispatch import configured_backend, is_local_backend
from collectsync.report import confirmation
from collectsync.stage.sources import Listing, has_path

if TYPE_CHECKING:
    from collectsync.flows.choice import Flow


class Command(collectstatic.Command):
    help = (
        "Collect static files. For a remote storage, stage them locally and upload only "
        "what changed (django-collectsync)."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.progress = Progress(None)
        self.collecting = Bar()
        self.only: set[str] | None = None
        self.staging = False

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        add_options(parser)

    def handle(self, **options: Any) -> str | None:
        backend = configured_backend()
        try:
            local = is_local_backend(backend)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if options["disable_collectsync"] or not conf.ENABLED or local:
            try:
                refuse_without_collectsync(options, without_collectsync(options, local))
            except DeployError as error:
                raise CommandError(str(error)) from error
            result: str | None = super().handle(**options)
            return result
        if options["link"]:
            raise CommandError("Can't symlink to a remote destination.")  # Django's own words
        self.set_options(**options)
        self.options = options
        if self.verbosity >= 1 and self.stderr.isatty():
            self.progress = Progress(cast(TextIO, self.stderr._out))
        try:
            with interrupts_noted():
                request = request_from(options, self.ignore_patterns)
                text = self.flow(request, backend).run()
        except AnnouncementFailed as error:  # the release is live: say what it did first
            if self.verbosity >= 1:
                self.stdout.write(error.done)
            raise CommandError(str(error)) from error
        except (DeployError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        except KeyboardInterrupt as error:
            raise CommandError(interrupted(options["stage_only"], options["rollback"])) from error
        return text if self.verbosity >= 1 else None

    def flow(self, request: Request, backend: dict[str, Any]) -> Flow:
        """The build, the publish, the rollback, the history or the whole deploy asked for."""
        flow = flow_for(request, backend, self, self.collect_into)
        if self.interactive and not isinstance(flow, Build) and flow.writes:
            self.confirm(flow.destination)
        return flow

    def confirm(self, destination: str) -> None:
        question = confirmation(
            destination, dry_run=self.dry_run, clear=self.clear, pruning=self.options["prune"]
        )
        if input(question) != "yes":
            raise CommandError("Collecting static files cancelled.")

    def warn(self, message: str) -> None:
        self.stderr.write(message)

    def collect_into(self, storage: Storage, listing: Listing, only: set[str] | None) -> None:
        """Django's own collect and post-processing, into ``storage`` instead of the remote,
        from the sources ``listing`` found; of those ``only`` names, if it names any."""
        self.only = only
        # Symlinks to the sources instead of copies: post-processing only ever writes new names
        # (hashed copies, .gz, .br) and reads the originals through the links.
        link = listing.all_local()
        configured, dry_run = self.storage, self.dry_run
        self.storage, self.staging = storage, True
        self.__dict__.pop("local", None)  # cached_property computed from self.storage
        try:
            with (
                listing.replayed(),
                self.progress.bar("Collecting", total=listing.count) as self.collecting,
            ):
                self.progress.show_post_processing(storage, after=self.collecting)
                super().handle(
                    **{
                        **self.options,
                        **{"interactive": False, "dry_run": False, "clear": False, "link": link},
                    }
                )
        finally:
            self.storage, self.dry_run, self.only = configured, dry_run, None
            self.staging = False
            self.__dict__.pop("local", None)

    def copy_file(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        if self.staging and not has_path(source_storage, path):
            self.copy_by_name(path, prefixed_path, source_storage)
        elif self.only is None or prefixed_path in self.only:
            super().copy_file(path, prefixed_path, source_storage)
        self.collecting.tick()

    def copy_by_name(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        """Django's copy_file() for a source storage without local paths (a finder's remote
        or in-memory storage): Django asks for the source's path only to log it, and fails."""
        if prefixed_path in self.copied_files:
            self.log(f"Skipping '{path}' (already copied earlier)")
        elif self.only is None or prefixed_path in self.only:
            self.log(f"Copying '{path}'", level=2)
            with source_storage.open(path) as source_file:
                self.storage.save(prefixed_path, source_file)
            self.copied_files.append(prefixed_path)

    def link_file(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        if self.only is None or prefixed_path in self.only:
            super().link_file(path, prefixed_path, source_storage)
        self.collecting.tick()
