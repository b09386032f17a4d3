"""Publish a stage built earlier (``--publish DIR``): the deploy's second half alone, with no
finders, no post-processing and no compression. The stage is checked against its build record
and the publishing project's settings, then planned, uploaded and recorded as a deploy of the
same sources would be: the manifest after the content, the sync index last."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

from collectsync.files import VARIANT_SUFFIXES, Provenance, Source
from collectsync.flows.publishing import Publishing
from collectsync.index.stored import RemoteIndex
from collectsync.index.sync_index import SyncIndex
from collectsync.options import Console, Request
from collectsync.report import Outcome
from collectsync.stage.code_identity import CodePart
from collectsync.stage.fingerprint import output_shape
from collectsync.stage.incremental import choose
from collectsync.stage_dir.build_record import BuildRecord
from collectsync.stage_dir.directory import StageDir, StageRefused

SHAPING = {
    "static_url": "STATIC_URL",
    "local_storage": "COLLECTSYNC_LOCAL_STORAGE",
    "local_storage_options": "COLLECTSYNC_LOCAL_STORAGE_OPTIONS",
    "post_process": "post-processing",
    "manifest_name": "the staticfiles storage's manifest_name",
}
"""What each part of the output's shape is called in a project's settings."""


class PublishStage:
    writes: ClassVar[bool] = True
    """Whether it writes to the remote (the command confirms before it)."""

    def __init__(
        self,
        path: str,
        backend: dict[str, Any],
        request: Request,
        console: Console,
    ) -> None:
        self.stage = StageDir.existing(path, writable=False)
        self.request = request
        self.publishing = Publishing(backend, request, console)

    @property
    def destination(self) -> str:
        return self.publishing.destination

    def run(self) -> str:
        started = time.monotonic()
        built, record = self.read_stage_and_index()
        outcome = Outcome(built.source_count, [], None, None, {}, stage=str(self.stage.path))
        if self.publishing.nothing_to_do(record, built.made.fingerprint):
            return self.publishing.unchanged(record, outcome, started)
        self.publishing.target.refuse_own_names(built.every_file)
        record = self.publishing.amended(record)
        names, retiring = self.changed_part(record.index, built)
        staged = self.stage.staged_set(built, names)
        made = built.made
        plan = self.publishing.plan(
            staged, record, None, retiring=retiring, compressor=made.compressor
        )
        # Only what is uploaded must hold the bytes the build staged: the rest is not read.
        self.stage.check(built, hashing=[file.name for file in plan.uploads])
        made = dataclasses.replace(made, sources=changes_to(record.index, made.sources))
        published = self.publishing.apply(plan, record, made)
        return self.publishing.finish(published, outcome, started)

    def read_stage_and_index(self) -> tuple[BuildRecord, RemoteIndex]:
        # The index is read while the stage is checked: one waits on the remote, the other
        # on the disk.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="collectsync-index") as reader:
            reading = self.publishing.read_index(reader)
            built = self.stage.complete_record()
            self.refuse_other_shape(built)
            self.stage.check(built)
            return built, reading.result()

    def changed_part(
        self, index: SyncIndex, built: BuildRecord
    ) -> tuple[set[str] | None, list[str] | None]:
        """The files of the sources a deploy of the stage's sources would stage again, and
        the files of the last deploy it retires; None and None (the whole stage) when the
        index can't vouch for the rest, as it can't for a deploy either."""
        sources = built.made.sources
        if sources is None:
            return None, None
        wanted = Built({name: source.md5 for name, source in sources.items()}, built.made)
        full_because = self.request.full_stage_reason()
        selection, _ = choose(index, wanted, built.made.compressor, full_because=full_because)
        if selection is None:
            return None, None
        outputs: set[str] = set()
        for name in selection.staged:
            for output in {name, sources[name].hashed or name}:
                outputs.update(output + suffix for suffix in ("", *VARIANT_SUFFIXES))
        return outputs, selection.retiring

    def refuse_other_shape(self, built: BuildRecord) -> None:
        """Refuse a stage whose files this project's settings would not have made."""
        ours = output_shape(
            post_process=self.request.post_process,
            manifest_name=self.publishing.target.manifest_name,
        )
        differences = [
            (SHAPING[key], shown(built.shape.get(key)), shown(value))
            for key, value in ours.items()
            if key in SHAPING and built.shape.get(key) != value
        ]
        # Whitenoise's settings come as repr() already, and only those set.
        theirs, mine = built.shape.get("whitenoise") or {}, ours["whitenoise"]
        for name in sorted(set(theirs) | set(mine)):
            if theirs.get(name) != mine.get(name):
                differences.append((name, theirs.get(name, "unset"), mine.get(name, "unset")))
        if differences:
            setting, built_with, has = differences[0]
            raise StageRefused(
                f"The stage in '{self.stage.path}' was built with {setting} = {built_with}, "
                f"but here it is {has}; build the stage with "
                "the settings and options it is published with. Nothing was uploaded."
            )


@dataclass(frozen=True)
class Built:
    """A stage's sources and settings, as incremental.choose() asks for them."""

    sources: Mapping[str, str]
    made: Provenance

    @property
    def settings(self) -> str | None:
        return self.made.settings

    @property
    def code(self) -> Mapping[str, CodePart]:
        return self.made.code or {}


def changes_to(
    index: SyncIndex, sources: Mapping[str, Source] | None
) -> Mapping[str, Source] | None:
    """``sources`` as the index's own with what differs changed: written as a deploy writes
    them, only the changes, instead of every source anew."""
    recorded = index.recorded_sources
    if recorded is None or sources is None:
        return sources
    put = {name: s for name, s in sources.items() if name not in recorded or recorded[name] != s}
    return recorded.changed(put, drop=[name for name in recorded if name not in sources])


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return "unset" if value is None else repr(value)
