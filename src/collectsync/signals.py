"""Signals collectsync sends, so that a project can tell any CDN what a release changed.

``release_published`` is sent once a release (a deploy that changed the remote, or a rollback)
is live, with:

- ``release``: its record (``collectsync.index.releases.Release``: ``number``, ``name``,
  ``commit``, ``rollback_of``, ...);
- ``destination``: where it went, as the summary names it (``s3://bucket/static``);
- ``names``: the names, relative to the storage, whose bytes changed or went away: unhashed
  names, their ``.gz``/``.br`` and the manifest, never a hashed name;
- ``paths``: the same as URL paths under ``STATIC_URL`` (``/static/robots.txt``).

The sender is ``collectsync.signals.Collectsync`` for a deploy, a ``--publish`` and a
rollback alike (``release.rollback_of`` tells a rollback): connect with
``release_published.connect(receiver, sender=Collectsync)``. It is sent after the switch and
before CloudFront's invalidation, if one is configured. A receiver that raises makes the
command fail once the summary and CloudFront's line are printed, saying the release is live.
"""

from __future__ import annotations

from django.dispatch import Signal

release_published = Signal()


class Collectsync:
    """The sender of collectsync's signals, whichever flow sends them."""
