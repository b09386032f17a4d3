"""Deploy example/ to a fresh LocalStack bucket three times (first, nothing changed, one file
edited), then build a stage with no remote and publish it, list the releases, roll back to the
one before, and show what each step did."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
BUCKET = os.environ.get("DEMO_BUCKET", "collectsync-demo")
ENDPOINT = os.environ.get("DEMO_S3_ENDPOINT", "http://127.0.0.1:4566")


def fresh_bucket() -> None:
    s3 = boto3.resource(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    bucket = s3.Bucket(BUCKET)
    if bucket.creation_date is not None:
        bucket.objects.all().delete()
    else:
        bucket.create()


def deploy(title: str, extra_args: list[str], env: dict[str, str] | None = None) -> None:
    print(f"\n=== {title}: python manage.py collectstatic --noinput {' '.join(extra_args)}")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", *extra_args],
        cwd=ROOT / "example",
        env={**os.environ, **(env or {})},
        check=True,
    )


def main() -> None:
    fresh_bucket()
    print(f"Bucket s3://{BUCKET} at {ENDPOINT} is empty.")
    deploy("First deploy (empty bucket)", sys.argv[1:])
    deploy("Second deploy (nothing changed)", sys.argv[1:])
    stylesheet = ROOT / "example/demo_site/static/demo/css/site.css"
    original = stylesheet.read_bytes()
    try:
        stylesheet.write_bytes(original + b"\n.demo-edit { color: teal; }\n")
        print(f"\nEdited {stylesheet.relative_to(ROOT)} (it is put back afterwards).")
        deploy("Third deploy (one stylesheet edited)", ["--verbosity", "2", *sys.argv[1:]])
    finally:
        stylesheet.write_bytes(original)
    print(f"\nPut {stylesheet.relative_to(ROOT)} back.")
    stage = tempfile.mkdtemp(prefix="collectsync-demo-stage-")
    try:
        # As in an image build with no network: nothing answers at the endpoint.
        no_remote = {"DEMO_S3_ENDPOINT": "http://127.0.0.1:9"}
        deploy("Build once (no remote)", ["--stage-only", stage], no_remote)
        deploy("Publish at release", ["--publish", stage])
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    deploy("The releases", ["--history"])
    deploy("Roll back to the release before (server-side copies)", ["--rollback"])
    deploy("The releases after the rollback", ["--history"])


if __name__ == "__main__":
    main()
