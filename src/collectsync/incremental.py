"""Incremental staging: which sources to stage again, and whether the record can vouch for
the rest (watched.py does the staging part).

Django's own post-processing does the work, given only the selected sources. Its questions
about the others (the hashed name of an unchanged image a changed stylesheet refers to) are
answered from the record, and the manifest it writes covers the whole tree. Meanwhile, what
each file's references resolve to is noted, for the next deploy to know what depends on what.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from collectsync.code_identity import what_changed
from collectsync.conf import conf
from collectsync.fingerprint import Inputs
from collectsync.index import SyncIndex
from collectsync.records import VARIANT_SUFFIXES, Source

STAGES_INCREMENTALLY = {
    "whitenoise.storage.CompressedManifestStaticFilesStorage",
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
}
"""Local storages known to post-process each file from its bytes and its references alone."""


@dataclass(frozen=True)
class Selection:
    staged: set[str]
    """The sources to stage again."""
    reused: dict[str, str]
    """Every other source's hashed name, from the record."""
    outputs: list[str] = field(default_factory=list)
    """The remote files of the reused sources, which this deploy keeps as they are."""


def select(now: Mapping[str, str], recorded: Mapping[str, Source]) -> Selection | None:
    """Stage again the new and changed sources, and every source whose references lead to a
    new, changed or deleted one, however indirectly; None if the record can't vouch for the
    rest."""
    changed = {
        name for name, md5 in now.items() if name not in recorded or recorded[name].md5 != md5
    }
    referrers: dict[str, set[str]] = defaultdict(set)
    for name, source in recorded.items():
        for ref in source.refs:
            referrers[ref].add(name)
    staged = set(changed)
    todo = [*changed, *(set(recorded) - set(now))]
    while todo:
        for referrer in referrers.get(todo.pop(), ()):
            if referrer in now and referrer not in staged:
                staged.add(referrer)
                todo.append(referrer)
    # A source named like another's variant (data.css.gz next to data.css) shares its name
    # with what compressing the other writes: the two are staged together or not at all.
    for name in list(staged):
        namesakes = [name + suffix for suffix in VARIANT_SUFFIXES]
        namesakes += [name.removesuffix(suffix) for suffix in VARIANT_SUFFIXES]
        staged.update(namesake for namesake in namesakes if namesake in now)
    reused = {name: recorded[name].hashed for name in now if name not in staged}
    if not all(hashed and recorded_hash(name, hashed) for name, hashed in reused.items()):
        return None
    return Selection(staged, {name: str(hashed) for name, hashed in reused.items()})


def recorded_hash(name: str, hashed: str) -> str | None:
    """The hash Django put into ``hashed``, the hashed name of ``name``."""
    root, ext = posixpath.splitext(posixpath.basename(name))
    base = posixpath.basename(hashed)
    if posixpath.dirname(hashed) != posixpath.dirname(name):
        return None
    if not (base.startswith(f"{root}.") and base.endswith(ext) and len(base) > len(root) + 1):
        return None
    return base[len(root) + 1 : len(base) - len(ext)] or None


def choose(
    index: SyncIndex, inputs: Inputs, compressor: str, *, full_because: str | None
) -> tuple[Selection | None, str | None]:
    """Stage incrementally, or everything (None) and one line saying why, when the record
    can't vouch for what staging would reuse. A first deploy needs no reason."""
    if not index.files and index.sources is None:
        return None, None
    reason = full_because or unvouched(index, inputs, compressor)
    if reason:
        return None, reason
    assert index.sources is not None
    selection = select(inputs.sources, index.sources)
    outputs = None if selection is None else reused_outputs(selection, index, inputs.sources)
    if selection is None or outputs is None:
        return None, "the sync index can't vouch for every unchanged file"
    return dataclasses.replace(selection, outputs=outputs), None


def unvouched(index: SyncIndex, inputs: Inputs, compressor: str) -> str | None:
    """Why the record can't vouch for any staged file, if it can't."""
    if conf.LOCAL_STORAGE not in STAGES_INCREMENTALLY:
        return (
            f"COLLECTSYNC_LOCAL_STORAGE '{conf.LOCAL_STORAGE}' is not one collectsync knows how "
            "to stage incrementally"
        )
    if index.sources is None:
        if index.generation == 0:
            return "there is no usable sync index, only a listing of what the remote holds"
        if index.fingerprint is None:
            return "the sync index was merged with a concurrent deploy's"
        return (
            "the sync index does not record the sources (an earlier collectsync wrote it, or "
            "one that could not watch staging)"
        )
    if index.settings == inputs.settings and index.compressor == compressor:
        return None
    if index.code is None:
        return "the sync index does not record the code that staged it (an earlier collectsync)"
    return what_changed(index.code, inputs.code) or "the settings changed since the last deploy"


def reused_outputs(
    selection: Selection, index: SyncIndex, now: Mapping[str, str]
) -> list[str] | None:
    """The remote files of the sources not staged again: their unhashed and hashed names and
    the variants of both. None if the record shows one of them holding other bytes (a failed
    deploy overwrote it since)."""
    outputs = []
    for name, hashed in selection.reused.items():
        for output in (name, hashed):
            entry = index.files.get(output)
            if entry is None:
                continue
            if output == name and entry.md5 != now[name]:
                return None
            outputs.append(output)
            for suffix in VARIANT_SUFFIXES:
                variant = index.files.get(output + suffix)
                if variant is not None:
                    if variant.source_md5 not in (None, entry.md5):
                        return None
                    outputs.append(output + suffix)
    return outputs
