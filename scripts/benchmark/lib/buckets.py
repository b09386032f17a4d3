"""The benchmark's own S3 work: resetting its buckets, and the plain-upload baseline.

The baseline answers "how fast could these files go up at all?": one boto3 client, a pool of
threads, one PutObject per file, nothing else. collectsync's cold upload is judged against it,
on the same files, the same endpoint and the same added latency.
"""

from __future__ import annotations

import mimetypes
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

MAX_PAGES = 10_000  # 10 million keys: far more than any bench bucket holds


def client(endpoint: str, pool: int = 10) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
        config=Config(
            max_pool_connections=pool,
            connect_timeout=10,
            read_timeout=120,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def reset_bucket(s3: S3Client, bucket: str) -> None:
    """Make ``bucket`` exist and hold nothing."""
    existing = {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
        return
    for _ in range(MAX_PAGES):
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=1000)
        keys: list[ObjectIdentifierTypeDef] = [
            {"Key": entry["Key"]} for entry in page.get("Contents", [])
        ]
        if not keys:
            return
        s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    raise RuntimeError(f"bucket {bucket} still not empty after {MAX_PAGES} pages")


def staged_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@dataclass(frozen=True)
class Upload:
    files: int
    bytes: int
    seconds: float


def put_all(s3: S3Client, bucket: str, root: Path, *, prefix: str, workers: int) -> Upload:
    """PutObject every file under ``root`` to ``prefix/<relative name>`` with ``workers``."""
    paths = staged_files(root)

    def put(path: Path) -> int:
        name = path.relative_to(root).as_posix()
        data = path.read_bytes()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=data, ContentType=content_type)
        return len(data)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        sizes = list(pool.map(put, paths))
    return Upload(files=len(paths), bytes=sum(sizes), seconds=time.perf_counter() - started)


def contents(s3: S3Client, bucket: str, *, leave_out: str) -> dict[str, bytes]:
    """Every object in ``bucket`` by key, but those whose key starts with ``leave_out`` (the
    sync index's name: the index, and the release archive beside it)."""
    keys = [
        entry["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for entry in page.get("Contents", [])
        if not entry["Key"].startswith(leave_out)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = pool.map(lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read(), keys)
        return dict(zip(keys, bodies, strict=True))
