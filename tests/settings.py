from __future__ import annotations

import os

SECRET_KEY = "tests-only"
INSTALLED_APPS = ["collectsync", "django.contrib.staticfiles"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
STATIC_URL = "/static/"
STATICFILES_DIRS: list[str] = []

S3_ENDPOINT = os.environ.get("COLLECTSYNC_TEST_S3_ENDPOINT", "http://127.0.0.1:4566")
# The emulators scripts/emulators starts: Google Cloud Storage and Azure Blob (Azurite).
GCS_ENDPOINT = os.environ.get("COLLECTSYNC_TEST_GCS_ENDPOINT", "http://127.0.0.1:9023")
AZURITE_ENDPOINT = os.environ.get("COLLECTSYNC_TEST_AZURITE_ENDPOINT", "http://127.0.0.1:10000")
# CloudFront: moto's server, which scripts/emulators starts too.
CLOUDFRONT_ENDPOINT = os.environ.get(
    "COLLECTSYNC_TEST_CLOUDFRONT_ENDPOINT", "http://127.0.0.1:5055"
)
# google-cloud-storage talks to an emulator, anonymously, when this is set.
os.environ.setdefault("STORAGE_EMULATOR_HOST", GCS_ENDPOINT)

# Each S3 test points "staticfiles" at its own bucket (see conftest.py).
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests that run the command in a child process configure it through the environment.
if os.environ.get("COLLECTSYNC_TEST_BUCKET"):
    STATICFILES_DIRS = [os.environ["COLLECTSYNC_TEST_SOURCE"]]
    COLLECTSYNC_WORKERS = int(os.environ.get("COLLECTSYNC_WORKERS", "8"))
    if os.environ.get("COLLECTSYNC_TEST_PAUSE"):
        COLLECTSYNC_LOCAL_STORAGE = "tests.support.paused.PausedStorage"
    STORAGES["staticfiles"] = {
        "BACKEND": "storages.backends.s3.S3ManifestStaticStorage",
        "OPTIONS": {
            "bucket_name": os.environ["COLLECTSYNC_TEST_BUCKET"],
            "location": "static",
            "endpoint_url": S3_ENDPOINT,
            "access_key": "test",
            "secret_key": "test",
            "region_name": "us-east-1",
        },
    }
