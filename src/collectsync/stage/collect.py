"""Stage: Django's own collect and post-processing into a temp dir, then list the result."""

from __future__ import annotations

import dataclasses
import errno
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from django.core.files.storage import Storage
from django.core.management.base import CommandError

from collectsync.errors import StagingError
from collectsync.files import Source, StagedFile, StagedSet, hash_in
from collectsync.index.recorded_sources import RecordedSources
from collectsync.index.sync_index import SyncIndex
from collectsync.stage.compression import CompressionFilter, FinishedFiles
from collectsync.stage.incremental import Selection
from collectsync.stage.inventory import manifest_name_of, scan
from collectsync.stage.local_storage import build_local_storage
from collectsync.stage.post_processing import Watched

Collect = Callable[[Storage], None]
"""Runs Django's collect() and post-processing into the storage it is given."""


def stage(
    root: Path,
    collect: Collect,
    *,
    known: SyncIndex,
    compressor: str,
    remote_manifest_name: str | None,
    on_final: Callable[[list[StagedFile]], None] | None,
    sources: Mapping[str, str],
    selection: Selection | None = None,
    recorded: Mapping[str, Source] | None = None,
) -> StagedSet:
    """Stage into ``root`` and describe what was staged, the manifest named as the remote
    knows it. Files whose variants ``known`` holds are not compressed again; each file whose
    bytes are final goes to ``on_final`` as soon as it is, before staging ends."""
    local = build_local_storage(root)
    # Every file hashed while staging, so that no file is read twice.
    described: dict[str, StagedFile] = {}
    compression = CompressionFilter(local, root, known, compressor, described)
    if on_final is not None:
        # Constructed second so that it wraps compression's filter: files are reported,
        # and hashed, before compression chooses what to compress.
        FinishedFiles(local, root, manifest_name_of(local), on_final, described)
    watched = Watched(local, selection)
    try:
        collect(local)
    # Django 6.0 and later re-raise post-processing errors as a multi-line CommandError;
    # 5.2 raises them as they are, "Max post-process passes exceeded" a RuntimeError.
    except (ValueError, OSError, RuntimeError, CommandError) as error:
        raise StagingError(explain_failure(error, root)) from error
    local_manifest = manifest_name_of(local) if remote_manifest_name else None
    staged = scan(
        root,
        local_manifest,
        described,
        compressed=compression.compressed,
        made=compression.made,
        variants_kept=frozenset(compression.skipped),
    )
    manifest = staged.manifest
    if manifest is not None and remote_manifest_name is not None:
        manifest = dataclasses.replace(manifest, name=remote_manifest_name)
    return dataclasses.replace(
        staged,
        manifest=manifest,
        sources=sources_record(local, watched, sources, selection, recorded),
    )


def sources_record(
    local: Storage,
    watched: Watched,
    sources: Mapping[str, str],
    selection: Selection | None,
    recorded: Mapping[str, Source] | None,
) -> Mapping[str, Source] | None:
    """What the record keeps of each source: the reused ones as they were, the others as
    staging found them; None without a manifest to take their hashed names from."""
    hashed_files: dict[str, str] | None = getattr(local, "hashed_files", None)
    if not hashed_files or not watched.watching:
        return None

    def staged(name: str) -> Source:
        hashed = hashed_files.get(name)
        # Kept only if Django's hash can be read back out of it, to answer for it next time.
        hashed = hashed if hashed and hash_in(name, hashed) else None
        return Source(sources[name], hashed, tuple(sorted(watched.refs.get(name, ()))))

    if selection is None or recorded is None:
        return {name: staged(name) for name in sources}
    put = {name: staged(name) for name in selection.staged}
    gone = [name for name in recorded if name not in sources]
    return RecordedSources.of(recorded).changed(put, drop=gone)


MISSING_REFERENCE = re.compile(
    r"The (?P<kind>\w+) file '(?P<file>[^']+)' references a file which could not be found:"
    r"\s+(?P<missing>\S+)"
)
NO_SPACE = f"[Errno {errno.ENOSPC}]"
MISSING_FILE = re.compile(r"The file '(?P<missing>[^']+)' could not be found")


def explain_failure(error: Exception, root: Path | None = None) -> str:
    """One sentence for an error raised while staging (into ``root``); nothing has been
    uploaded yet."""
    message = str(error)
    # Django 6.x passes post-processing's OSError on as the text of a CommandError.
    disk_full = getattr(error, "errno", None) == errno.ENOSPC or NO_SPACE in message
    if disk_full and root is not None:
        return (
            f"Staging failed: no space left on the device of the staging directory "
            f"'{root}'; free some space, or stage elsewhere with COLLECTSYNC_STAGING_ROOT "
            "(or TMPDIR). Nothing was switched: the site still uses the previous release."
        )
    if match := MISSING_REFERENCE.search(message):
        return (
            f"Staging failed: the {match['kind']} file '{match['file']}' references "
            f"'{match['missing']}', which could not be found; fix the reference or add the "
            "file. Nothing was uploaded."
        )
    if match := MISSING_FILE.search(message):
        return (
            f"Staging failed: '{match['missing']}' is referenced but could not be found; "
            "fix the reference or add the file. Nothing was uploaded."
        )
    if isinstance(error, OSError) and error.filename:
        return (
            f"Staging failed: could not read '{error.filename}' ({error.strerror}). "
            "Nothing was uploaded."
        )
    first_line = message.splitlines()[0].rstrip(".") if message else repr(error)
    return f"Staging failed: {first_line}. Nothing was uploaded."
