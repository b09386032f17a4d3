"""Settings for scripts/bench: the demo site, set up for the tool named by ``BENCH_TOOL``.

One module for every tool, so that the tools differ only in which ``collectstatic`` command
runs; the storage, bucket, endpoint and extra static dirs all come from settings.py and its
environment variables. ``BENCH_TOOL=stage`` is not a tool under test: it stages the files with
Whitenoise into ``BENCH_STATIC_ROOT`` for the plain-upload baseline.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from demo_site.settings import *  # noqa: F403
from demo_site.settings import INSTALLED_APPS as BASE_APPS
from demo_site.settings import STORAGES as BASE_STORAGES

TOOL = os.environ.get("BENCH_TOOL", "collectsync")
STATICFILES_APP = "django.contrib.staticfiles"
WITHOUT_COLLECTSYNC = [app for app in BASE_APPS if app != "collectsync"]


def before_staticfiles(app: str) -> list[str]:
    at = WITHOUT_COLLECTSYNC.index(STATICFILES_APP)
    return [*WITHOUT_COLLECTSYNC[:at], app, *WITHOUT_COLLECTSYNC[at:]]


CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

if TOOL == "collectsync":
    INSTALLED_APPS = list(BASE_APPS)
elif TOOL == "stock":
    INSTALLED_APPS = WITHOUT_COLLECTSYNC
elif TOOL == "collectfasta":
    INSTALLED_APPS = before_staticfiles("collectfasta")
    COLLECTFASTA_STRATEGY = "collectfasta.strategies.boto3.Boto3ManifestMemoryStrategy"
    COLLECTFASTA_THREADS = 20
    # Its own in-process cache: every run starts knowing nothing, as on a fresh deploy box.
    # LocMemCache locks around every access, so its threads can share it; MAX_ENTRIES above
    # the file count keeps it from culling (and from warning that it would).
    COLLECTFASTA_CACHE = "collectfasta"
    CACHES["collectfasta"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "collectfasta",
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    }
elif TOOL == "stage":
    INSTALLED_APPS = WITHOUT_COLLECTSYNC
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
    STORAGES = {
        **BASE_STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
else:
    raise ImproperlyConfigured(
        f"BENCH_TOOL must be stock, collectfasta, collectsync or stage, not {TOOL!r}."
    )

# Google Cloud Storage or Azure Blob instead of S3: their emulators (scripts/benchmark/cloud.py).
CLOUD = os.environ.get("BENCH_STORAGE", "s3")
if CLOUD == "gcs":
    from google.auth.credentials import AnonymousCredentials

    STORAGES = {
        **BASE_STORAGES,
        "staticfiles": {
            "BACKEND": "demo_site.storages.GoogleCloudManifestStorage",
            "OPTIONS": {
                "bucket_name": os.environ["DEMO_BUCKET"],
                "location": os.environ.get("DEMO_LOCATION", "static"),
                "project_id": "bench",
                "credentials": AnonymousCredentials(),  # type: ignore[no-untyped-call]
                # Public static files: plain URLs, as a site serving them from a bucket uses.
                "querystring_auth": False,
            },
        },
    }
    COLLECTFASTA_STRATEGY = "collectfasta.strategies.gcloud.GoogleCloudStrategy"
elif CLOUD == "azure":
    STORAGES = {
        **BASE_STORAGES,
        "staticfiles": {
            "BACKEND": "demo_site.storages.AzureManifestStorage",
            "OPTIONS": {
                "azure_container": os.environ["DEMO_BUCKET"],
                "location": os.environ.get("DEMO_LOCATION", "static"),
                "connection_string": os.environ["DEMO_AZURE_CONNECTION"],
                "overwrite_files": True,
            },
        },
    }
    COLLECTFASTA_STRATEGY = "collectfasta.strategies.azure.AzureBlobStrategy"

# Lets a benchmark run try another upload concurrency without editing settings.
if os.environ.get("BENCH_COLLECTSYNC_WORKERS"):
    COLLECTSYNC_WORKERS = int(os.environ["BENCH_COLLECTSYNC_WORKERS"])

# Like for like: staging with Django's ManifestStaticFilesStorage (no variants), the objects
# collectfasta uploads.
if os.environ.get("BENCH_LOCAL_STORAGE"):
    COLLECTSYNC_LOCAL_STORAGE = os.environ["BENCH_LOCAL_STORAGE"]
