"""Releases: what the sync index keeps of each deploy or rollback that changed the remote, and
where it keeps the bytes a later rollback needs.

A release's hashed files stay in place until ``--prune`` drops them. Its unhashed names (and
their variants, and the manifest) are overwritten by later releases, so each deploy or
rollback first copies the bytes it is about to overwrite or delete, server-side, into the
archive: ``<index name>.releases/<md5>/<name>``, unless its hashed twin holds them. Most
files are not rewritten by post-processing, so ``js/app.js`` holds the very bytes of
``js/app.0123456789ab.js`` (Django names it by their md5), and its ``.gz`` those of the twin's:
the twin stays as long as the release it belongs to, and a rollback copies from it. The index
of each release is copied to ``<index name>.releases/index/<number>`` when the next one
replaces it. Both are recorded in the index like any file, with the release after which they
were live, so that ``--prune`` keeps them exactly as long as the releases that need them.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import posixpath
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectsync import __version__
from collectsync.files import VARIANT_SUFFIXES, Entry

RELEASES_KEPT = 100
"""Release records the index keeps, newest last; older ones drop off the history."""

COMMIT_VARIABLES = (
    "GITHUB_SHA",  # GitHub Actions
    "CI_COMMIT_SHA",  # GitLab CI
    "SOURCE_VERSION",  # Heroku builds
    "HEROKU_SLUG_COMMIT",
    "RENDER_GIT_COMMIT",
    "RAILWAY_GIT_COMMIT_SHA",
    "VERCEL_GIT_COMMIT_SHA",
    "CF_PAGES_COMMIT_SHA",
    "COMMIT_REF",  # Netlify
    "BITBUCKET_COMMIT",
    "CIRCLE_SHA1",
    "BUILDKITE_COMMIT",
    "DRONE_COMMIT_SHA",
    "TRAVIS_COMMIT",
    "BUILD_SOURCEVERSION",  # Azure Pipelines
    "CODEBUILD_RESOLVED_SOURCE_VERSION",
    "KOYEB_GIT_SHA",
    "GIT_COMMIT",  # Jenkins
)


@dataclass(frozen=True)
class Release:
    number: int
    """Its number: the index's release number once it was live."""
    time: str
    """When it went live: ISO 8601, UTC, to the second."""
    version: str
    """The collectsync that made it."""
    host: str
    commit: str | None
    name: str | None
    """--release-name or COLLECTSYNC_RELEASE_NAME."""
    uploaded: int = 0
    unchanged: int = 0
    deleted: int = 0
    copied: int = 0
    """Server-side copies: the bytes it overwrote, archived, and for a rollback its restores."""
    manifest_md5: str | None = None
    rollback_of: int | None = None
    """For a rollback: the release whose files it made live again."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Release:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    @property
    def label(self) -> str:
        """How the history names it: its name, else its commit's first 12 characters."""
        return self.name or (self.commit or "")[:12]


@dataclass(frozen=True)
class Stamp:
    """Who makes a release: the facts known before it exists."""

    name: str | None
    commit: str | None
    host: str
    version: str

    @classmethod
    def here(cls, name: str | None, environ: Mapping[str, str] = os.environ) -> Stamp:
        commit = next((environ[v] for v in COMMIT_VARIABLES if environ.get(v)), None)
        return cls(name or None, commit, socket.gethostname(), __version__)

    def release(self, number: int, manifest: Entry | None, **counts: int) -> Release:
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        md5 = None if manifest is None else manifest.md5
        return Release(
            number,
            now.isoformat().replace("+00:00", "Z"),
            self.version,
            self.host,
            self.commit,
            self.name,
            manifest_md5=md5,
            **counts,
        )


def appended(releases: tuple[Release, ...], release: Release) -> tuple[Release, ...]:
    return (*releases, release)[-RELEASES_KEPT:]


def merged(
    theirs: tuple[Release, ...], mine: tuple[Release, ...], number: int
) -> tuple[Release, ...]:
    """Their records, and then mine, numbered ``number``, if I was making one."""
    if not mine or mine[-1] in theirs:
        return theirs
    return appended(theirs, dataclasses.replace(mine[-1], number=number))


def with_deleted(releases: tuple[Release, ...], number: int, count: int) -> tuple[Release, ...]:
    """The records, release ``number``'s counting ``count`` more deleted objects."""
    return tuple(
        dataclasses.replace(r, deleted=r.deleted + count) if r.number == number else r
        for r in releases
    )


def archive_prefix(index_name: str) -> str:
    return f"{index_name}.releases/"


def archived_name(index_name: str, name: str, entry: Entry) -> str:
    """Where the archive keeps ``name``'s bytes as ``entry`` records them: by their md5, or a
    variant's by the md5 of the bytes it was compressed from."""
    content = entry.md5 or entry.source_md5
    assert content is not None, "every entry records its md5 or its source's"
    return f"{archive_prefix(index_name)}{content}/{name}"


def hashed_twin(name: str, entry: Entry) -> str | None:
    """The hashed name that holds ``name``'s bytes as ``entry`` records them, if post-processing
    left them as they were: Django names a file by the first 12 hex digits of its md5 (a
    variant, its source's). Whether the remote has it is for the index to tell."""
    content = entry.md5 or entry.source_md5
    suffix = next((s for s in VARIANT_SUFFIXES if entry.source_md5 and name.endswith(s)), "")
    if content is None:
        return None
    root, ext = posixpath.splitext(name[: len(name) - len(suffix)])
    return f"{root}.{content[:12]}{ext}{suffix}"


def archived_index_name(index_name: str, number: int) -> str:
    return f"{archive_prefix(index_name)}index/{number}"
