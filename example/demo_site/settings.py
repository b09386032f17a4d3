"""A small site whose static files are deployed to S3 (LocalStack by default)."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "demo-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "demo_site.urls"

INSTALLED_APPS = [
    "collectsync",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

STATIC_URL = "/static/"
# Extra source folders (the benchmark points this at its generated corpus).
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    Path(p) for p in os.environ.get("DEMO_EXTRA_STATIC_DIRS", "").split(os.pathsep) if p
]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "storages.backends.s3.S3ManifestStaticStorage",
        "OPTIONS": {
            "bucket_name": os.environ.get("DEMO_BUCKET", "collectsync-demo"),
            "location": os.environ.get("DEMO_LOCATION", "static"),
            "endpoint_url": os.environ.get("DEMO_S3_ENDPOINT", "http://127.0.0.1:4566"),
            "access_key": "test",
            "secret_key": "test",
            "region_name": "us-east-1",
            "querystring_auth": False,
        },
    },
}
