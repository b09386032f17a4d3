"""A Django project whose staticfiles storage is an S3 bucket in LocalStack, and how tests
read what a deploy left there."""

from __future__ import annotations

import gzip
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as DjangoCommand,
)
from django.core.management import call_command

from collectsync.index.sync_index import SyncIndex
from tests.settings import S3_ENDPOINT

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from pytest_django.fixtures import Settings as SettingsWrapper


S3_CREDENTIALS = {"access_key": "test", "secret_key": "test", "region_name": "us-east-1"}
LOCATION = "static"
INDEX_KEY = f"{LOCATION}/.collectsync-index.json"
MANIFEST_KEY = f"{LOCATION}/staticfiles.json"
ARCHIVE = f"{INDEX_KEY}.releases/"
"""Where the bytes a release overwrote are kept for a rollback."""
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


# Large enough and repetitive enough that Whitenoise keeps its .gz and .br variants.
CSS_RULES = "".join(
    f".block-{i} {{ margin: {i}px; padding: {i % 7}px; color: #33{i % 10}{i % 10}aa; }}\n"
    for i in range(60)
)


def write_static_tree(root: Path) -> Path:
    files: dict[str, bytes] = {
        "css/site.css": (
            '@font-face { font-family: Body; src: url("../fonts/body.woff2"); }\n'
            '.logo { background: url("../img/logo.png"); }\n' + CSS_RULES
        ).encode(),
        "css/theme.css": ("/* theme */\n" + CSS_RULES).encode(),
        "js/app.js": (
            "".join(f"function step{i}() {{ return {i} * 2; }}\n" for i in range(40))
        ).encode(),
        "img/icon.svg": (
            '<svg xmlns="http://www.w3.org/2000/svg">'
            + "".join(f'<rect x="{i}" y="{i}" width="4" height="4"/>' for i in range(30))
            + "</svg>"
        ).encode(),
        "img/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "fonts/body.woff2": b"wOF2" + bytes(reversed(range(256))) * 4,
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def version_2(source: Path) -> None:
    """A CSS edit, a JS edit, an edit of an image a stylesheet references, an unhashed-only
    file changed, a file removed and one added. The JS file loses its variants (too small to
    compress now) and robots.txt gains some, so that a rollback must bring back the one's and
    delete the other's."""
    (source / "css/theme.css").write_text("/* theme, v2 */\n" + CSS_RULES)
    (source / "js/app.js").write_text("var v = 2;\n")
    (source / "img/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"v2" * 300)
    (source / "robots.txt").write_text("User-agent: *\n" + "Disallow: /v2/\n" * 100)
    (source / "img/icon.svg").unlink()
    (source / "js/new.js").write_text("export const added = true;\n" * 20)


def bucket_keys(s3: S3Client, bucket: str) -> set[str]:
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def read_object(s3: S3Client, bucket: str, key: str) -> bytes:
    data: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


class Deployed(Protocol):
    """Where a project's static files were deployed, as the differential tests read it."""

    @property
    def source(self) -> Path: ...

    def object_keys(self) -> set[str]: ...

    def read(self, key: str) -> bytes: ...


@dataclass
class Project:
    """A Django project whose staticfiles storage is an S3 bucket in LocalStack."""

    s3: S3Client
    bucket: str
    source: Path
    settings: SettingsWrapper

    def object_keys(self) -> set[str]:
        return bucket_keys(self.s3, self.bucket)

    def keys_outside_archive(self) -> set[str]:
        """The bucket's keys but the release archive's."""
        return {key for key in self.object_keys() if not key.startswith(ARCHIVE)}

    def read(self, key: str) -> bytes:
        return read_object(self.s3, self.bucket, key)

    def manifest_paths(self) -> dict[str, str]:
        paths: dict[str, str] = json.loads(self.read(MANIFEST_KEY))["paths"]
        return paths

    def storage_options(self, **options: Any) -> None:
        self.settings.STORAGES = s3_storages(self.bucket, **options)


def remote_tree(project: Project) -> dict[str, bytes]:
    """The bucket's objects under the location, by name, without the sync index and the
    release archive."""
    prefix = f"{LOCATION}/"
    return {
        key.removeprefix(prefix): project.read(key)
        for key in project.keys_outside_archive()
        if key != INDEX_KEY
    }


def s3_storages(
    bucket: str,
    backend: str = "storages.backends.s3.S3ManifestStaticStorage",
    **options: Any,
) -> dict[str, Any]:
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": backend,
            "OPTIONS": {
                "bucket_name": bucket,
                "location": LOCATION,
                "endpoint_url": S3_ENDPOINT,
                **S3_CREDENTIALS,
                **options,
            },
        },
    }


@dataclass
class RequestLog:
    """Every HTTP request botocore sends, as (method, bucket, key)."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)

    def clear(self) -> None:
        self.requests.clear()

    def keys(self, method: str) -> set[str]:
        return {key for m, _, key in self.requests if m == method}


def run_command(*args: str, **options: Any) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("collectstatic", *args, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def without_time(output: str) -> str:
    return re.sub(r"in \d+\.\d+s\.", "in Xs.", output)


def stock_whitenoise_tree(settings: SettingsWrapper, root: Path) -> dict[str, bytes]:
    """What Django's own collectstatic with Whitenoise's storage writes into ``root``."""
    storages = settings.STORAGES
    settings.STORAGES = {**storages, "staticfiles": {"BACKEND": WHITENOISE}}
    settings.STATIC_ROOT = str(root)
    try:
        call_command(DjangoCommand(), interactive=False, verbosity=0)
    finally:
        settings.STORAGES = storages
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def earlier_release_record(index: SyncIndex) -> bytes:
    """``index`` as collectsync 0.2 wrote records: version 2, each file's last deploy."""
    sources = index.sources or {}
    document = {
        "format": "collectsync-index",
        "version": 2,
        "manifest": None
        if index.manifest is None
        else {"name": index.manifest_name, "md5": index.manifest.md5, "size": index.manifest.size},
        "fingerprint": index.fingerprint,
        "compressor": index.compressor,
        "generation": index.release_number,
        "settings": index.settings,
        "code": index.code,
        "sources": None
        if index.sources is None
        else {name: [s.md5, s.hashed, list(s.refs)] for name, s in sorted(sources.items())},
        "files": {
            name: [e.md5, e.size, e.source_md5, e.variants, e.last_release(index.release_number)]
            for name, e in index.files.items()
        },
    }
    return gzip.compress(json.dumps(document).encode())
