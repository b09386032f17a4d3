"""The remote a flow works on, reached from the configured staticfiles storage: the storage
itself, and where its content, manifest and sync index are (index/stored.py's Target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collectsync.conf import conf
from collectsync.index.stored import Target
from collectsync.remote.dispatch import build_remote_storage, manifest_remote, open_remote


@dataclass(frozen=True)
class Reached:
    storage: Any
    """The configured storage, as Django builds it (CloudFront reads its credentials)."""
    target: Target

    @property
    def destination(self) -> str:
        return self.target.content.destination


def reach(backend: dict[str, Any]) -> Reached:
    storage = build_remote_storage(backend)
    remote = open_remote(storage, fresh=lambda: build_remote_storage(backend))
    manifest = manifest_remote(storage, remote)
    target = Target(
        content=remote,
        index_name=conf.INDEX_NAME,
        manifest=manifest[0] if manifest else None,
        manifest_name=manifest[1] if manifest else None,
    )
    return Reached(storage, target)
