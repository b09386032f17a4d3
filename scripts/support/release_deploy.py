"""A new Django project, as `django-admin startproject` makes it, deployed to LocalStack S3 with
the collectsync of this environment: the settings a user adds, a first deploy, then a deploy
that finds nothing changed. Run by scripts/release with the wheel's virtualenv.

Usage: python release_deploy.py PROJECT_DIR
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3

ENDPOINT = os.environ.get("COLLECTSYNC_TEST_S3_ENDPOINT", "http://127.0.0.1:4566")
SETTINGS = """
INSTALLED_APPS.insert(0, "collectsync")
STORAGES = {{
    "default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
    "staticfiles": {{
        "BACKEND": "storages.backends.s3.S3ManifestStaticStorage",
        "OPTIONS": {{
            "bucket_name": "{bucket}",
            "location": "static",
            "endpoint_url": "{endpoint}",
            "access_key": "test",
            "secret_key": "test",
            "region_name": "us-east-1",
        }},
    }},
}}
"""


def collectstatic(project: Path) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"release check: collectstatic failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def main(argv: list[str]) -> None:
    project = Path(argv[0])
    project.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(project)], check=True
    )
    bucket = f"collectsync-release-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=bucket)
    try:
        with (project / "mysite" / "settings.py").open("a") as settings:
            settings.write(SETTINGS.format(bucket=bucket, endpoint=ENDPOINT))
        first = collectstatic(project)
        print(f"   first deploy: {first}")
        keys = {
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        }
        for needed in ("static/staticfiles.json", "static/admin/css/base.css"):
            if needed not in keys:
                raise SystemExit(f"release check: the first deploy left no {needed}")
        second = collectstatic(project)
        print(f"   second deploy: {second}")
        if not second.startswith("Nothing changed"):
            raise SystemExit("release check: the second deploy should have found nothing changed")
    finally:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    main(sys.argv[1:])
