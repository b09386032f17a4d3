"""Incremental staging: which sources to stage again, and whether the record can vouch for
the rest (post_processing.py does the staging part).

Django's own post-processing does the work, given only the selected sources. Its questions
about the others (the hashed name of an unchanged image a changed stylesheet refers to) are
answered from the record, and the manifest it writes covers the whole tree. Meanwhile, what
each file's references resolve to is noted, for the next deploy to know what depends on what.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, cast

from collectsync.conf import conf
from collectsync.files import VARIANT_SUFFIXES
from collectsync.index.recorded_sources import RecordedSources
from collectsync.index.sync_index import SyncIndex
from collectsync.stage.code_identity import CodePart, what_changed

STAGES_INCREMENTALLY = {
    "whitenoise.storage.CompressedManifestStaticFilesStorage",
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
}
"""Local storages known to post-process each file from its bytes and its references alone."""


class Wanted(Protocol):
    """What is to be deployed, as far as choosing what to stage (or upload) again goes:
    the sources by md5, and the fingerprint of the settings and code (fingerprint.Inputs)."""

    @property
    def sources(self) -> Mapping[str, str]: ...

    @property
    def settings(self) -> str | None: ...

    @property
    def code(self) -> Mapping[str, CodePart]: ...


@dataclass(frozen=True)
class Selection:
    staged: set[str]
    """The sources to stage again."""
    reused: dict[str, str]
    """Every other source's hashed name, from the record."""
    retiring: list[str] = field(default_factory=list)
    """The last deploy's files of the sources staged again or deleted, which this deploy
    may no longer have: the others it keeps as they are."""


def select(
    now: Mapping[str, str], recorded: RecordedSources, again: set[str] | None = None
) -> Selection | None:
    """Stage again the new and changed sources, every source whose references lead to a
    new, changed or deleted one, however indirectly, and the ``again`` ones; None if the
    record can't vouch for the rest."""
    md5s = recorded.md5s()
    # Set operations on the views, so a tree of 20,000 sources is compared in C.
    changed = {name for name, _ in now.items() - md5s.items()}
    deleted = md5s.keys() - now.keys()
    references = recorded.references()
    staged = changed | (again or set())
    # Each pass adds the referrers of what the last pass added, so a reference chain takes
    # a pass per link: a few passes over a few thousand referrers, where a reverse index
    # would cost a set per reference.
    frontier = changed | deleted
    while frontier:
        frontier = {
            name
            for name, refs in references.items()
            if name not in staged and name in now and not frontier.isdisjoint(refs)
        }
        staged |= frontier
    # A source named like another's variant (data.css.gz next to data.css) shares its name
    # with what compressing the other writes: the two are staged together or not at all.
    for name in list(staged):
        namesakes = [name + suffix for suffix in VARIANT_SUFFIXES]
        namesakes += [name.removesuffix(suffix) for suffix in VARIANT_SUFFIXES]
        staged.update(namesake for namesake in namesakes if namesake in now)
    hashed = recorded.hashed_names()
    reused = dict(hashed)  # every source the record knows, less those staged or deleted
    for name in staged | deleted:
        reused.pop(name, None)
    # The record keeps a hashed name only if Django's hash can be read back out of it.
    if None in reused.values():
        return None
    retiring = []
    for name in [*staged, *deleted]:
        if name in md5s:
            for output in {name, hashed[name] or name}:
                retiring += [output, *(output + suffix for suffix in VARIANT_SUFFIXES)]
    return Selection(staged, cast(dict[str, str], reused), retiring)


def choose(
    index: SyncIndex, inputs: Wanted, compressor: str | None, *, full_because: str | None
) -> tuple[Selection | None, str | None]:
    """Stage incrementally, or everything (None) and one line saying why, when the record
    can't vouch for what staging would reuse. A first deploy needs no reason."""
    if not index.files and index.sources is None:
        return None, None
    reason = full_because or unvouched(index, inputs, compressor)
    if reason:
        return None, reason
    assert index.recorded_sources is not None
    again = doubted_sources(index, inputs.sources)
    selection = select(inputs.sources, index.recorded_sources, again)
    # A record a successful deploy wrote has each reused source's files as it staged them;
    # one a failed deploy amended since may not.
    if selection is None or (index.amended and not reused_intact(selection, index, inputs.sources)):
        return None, "the sync index can't vouch for every unchanged file"
    return selection, None


def doubted_sources(index: SyncIndex, now: Mapping[str, str]) -> set[str]:
    """The sources whose files a run that stopped may have overwritten (see index/doubt.py):
    staged again, so that they are uploaded wherever the remote may hold other bytes."""
    if index.doubt is None or index.recorded_sources is None:
        return set()
    by_hashed = {hashed: name for name, hashed in index.recorded_sources.hashed_names().items()}
    found = set()
    for doubted in index.doubt.names:
        for name in (doubted, *(doubted.removesuffix(s) for s in VARIANT_SUFFIXES)):
            source = name if name in now else by_hashed.get(name)
            if source is not None and source in now:
                found.add(source)
    return found


def unvouched(index: SyncIndex, inputs: Wanted, compressor: str | None) -> str | None:
    """Why the record can't vouch for any staged file, if it can't."""
    if conf.LOCAL_STORAGE not in STAGES_INCREMENTALLY:
        return (
            f"COLLECTSYNC_LOCAL_STORAGE '{conf.LOCAL_STORAGE}' is not one collectsync knows how "
            "to stage incrementally"
        )
    if index.sources is None:
        if index.release_number == 0:
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


def reused_intact(selection: Selection, index: SyncIndex, now: Mapping[str, str]) -> bool:
    """Whether the record shows the files of the sources not staged again (their unhashed
    and hashed names and the variants of both) as their sources made them, none holding
    other bytes (a failed deploy overwrote it since)."""
    for name, hashed in selection.reused.items():
        for output in (name, hashed):
            entry = index.files.get(output)
            if entry is None:
                continue
            if (output == name and entry.md5 != now[name]) or entry.left is not None:
                return False
            for suffix in VARIANT_SUFFIXES:
                variant = index.files.get(output + suffix)
                if variant is not None and variant.source_md5 not in (None, entry.md5):
                    return False
    return True
