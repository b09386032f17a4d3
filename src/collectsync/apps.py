from __future__ import annotations

from django.apps import AppConfig


class CollectSyncConfig(AppConfig):
    name = "collectsync"
    verbose_name = "collectsync"

    def ready(self) -> None:
        from collectsync import checks  # noqa: F401  (registers the system checks)
