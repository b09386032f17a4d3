from __future__ import annotations

import os

SECRET_KEY = "tests-only"
INSTALLED_APPS = ["collectsync", "django.contrib.staticfiles"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
STATIC_URL = "/static/"
STATICFILES_DIRS: list[str] = []

S3_ENDPOINT = os.environ.get("COLLECTSYNC_TEST_S3_ENDPOINT", "http://127.0.0.1:4566")

# Each S3 test points "staticfiles" at its own bucket (see conftest.py).
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests that run the command in a child process configure it through the environment.
if os.environ.get("COLLECTSYNC_TEST_BUCKET"):
    STATICFILES_DIRS = [os.environ["COLLECTSYNC_TEST_SOURCE"]]
    COLLECTSYNC_WORKERS = int(os.environ.get("COLLECTSYNC_WORKERS", "8"))
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
