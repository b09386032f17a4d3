"""Signals collectsync sends, so that a project can tell any CDN what a release changed.

``release_published`` is sent once a release (a deploy that changed the remote, or a rollback)
is live, with:

- ``release``: its record (``collectsync.index.releases.Release``: ``number``, ``name``,
  ``commit``, ``rollback_of``, ...);
- ``destination``: where it went, as the summary names it (``s3://bucket/static``);
- ``names``: the names, relative to the storage, whose bytes changed or went away: unhashed
  names, their ``.gz``/``.br`` and the manifest, never a hashed name;
- ``paths``: the same as URL paths under ``STATIC_URL`` (``/static/robots.txt``).

The sender is ``collectsync.flows.publishing.Publishing`` for a deploy or ``--publish``, and
``collectsync.flows.rollback.Rollback`` for a rollback. It is sent after the switch and before
CloudFront's invalidation, if one is configured. A receiver that raises makes the command fail,
saying the release is live.
"""

from __future__ import annotations

from django.dispatch import Signal

release_published = Signal()
