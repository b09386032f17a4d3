"""How collectsync talks to S3: its clients' retries, timeouts and integrity checks (ones
S3-compatible services accept as well as AWS), and what each upload sends."""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.utils import determine_content_length

from collectsync.conf import conf
from collectsync.remote.s3.checksums import MD5_METADATA

logger = logging.getLogger("collectsync")

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_s3 import S3Client
    from storages.backends.s3 import S3Storage

CHECKSUM_OPTIONS = {
    "request_checksum_calculation": "AWS_REQUEST_CHECKSUM_CALCULATION",
    "response_checksum_validation": "AWS_RESPONSE_CHECKSUM_VALIDATION",
}
"""botocore's checksum options, and the environment variables that set them."""
CHECKSUM_ALGORITHM = "x-amz-sdk-checksum-algorithm"


def is_aws(endpoint_url: str | None) -> bool:
    """Whether requests go to AWS itself rather than an S3-compatible service."""
    if not endpoint_url:
        return True
    host = urlsplit(endpoint_url).hostname or ""
    return host == "amazonaws.com" or host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def for_endpoint(config: Config, endpoint_url: str | None) -> Config:
    """``config``, with boto3's integrity checksums sent only where the operation needs them
    when the endpoint is not AWS, unless the storage's config or the environment chooses.

    Since 1.36, boto3 sends a CRC32 with every upload (as an aws-chunked trailer for streamed
    bodies over HTTPS) and asks for checksums back. Services that follow S3's API less
    closely refuse that: Backblaze B2 answers InvalidArgument "Unsupported header", R2 and
    some MinIO versions fail the signature. collectsync sends a Content-MD5 with every
    upload, which all of them verify.
    """
    chosen = getattr(config, "_user_provided_options", {})
    options = {
        option: "when_required"
        for option, variable in CHECKSUM_OPTIONS.items()
        if option in Config.OPTION_DEFAULTS and option not in chosen and variable not in os.environ
    }
    if is_aws(endpoint_url) or not options:
        return config
    return config.merge(Config(**options))  # type: ignore[arg-type]


def checksums_by_default(config: Config) -> bool:
    return getattr(config, "request_checksum_calculation", None) != "when_required"


def content_md5_instead(request: Any, **kwargs: Any) -> None:
    """A Content-MD5 in place of the CRC32 boto3 adds to DeleteObjects whatever the config
    says (S3 requires an integrity check there; older services know only Content-MD5)."""
    headers = request.headers
    flexible = [
        name
        for name in list(headers.keys())
        if name.lower().startswith("x-amz-checksum-") or name.lower() == CHECKSUM_ALGORITHM
    ]
    if not flexible or not isinstance(request.body, bytes):
        return
    for name in flexible:
        del headers[name]
    headers["Content-MD5"] = base64.b64encode(hashlib.md5(request.body).digest()).decode()


CONTINUE_ABOVE = 8 * 1024 * 1024
"""Bodies larger than this wait for S3's `100 Continue` before they are sent."""


def without_continue_for_small_bodies(model: Any, params: dict[str, Any], **kwargs: Any) -> None:
    """botocore asks S3 to answer `100 Continue` before every PutObject body, a round trip
    spent so that a refused request doesn't send its body: worth it for large bodies only."""
    body = params.get("body") if model.name == "PutObject" else None
    size = determine_content_length(body) if body is not None else None
    if size is not None and size <= CONTINUE_ABOVE:
        params["headers"].pop("Expect", None)


def new_client(session: Session, storage: S3Storage, config: Config) -> S3Client:
    """A client as the storage would make it, with collectsync's ``config``."""
    client: S3Client = session.client(
        "s3",
        region_name=storage.region_name,
        use_ssl=storage.use_ssl,
        endpoint_url=storage.endpoint_url,
        config=config,
        verify=storage.verify,
    )
    if not checksums_by_default(config):
        client.meta.events.register("before-sign.s3.DeleteObjects", content_md5_instead)
    # After botocore's own handler for all of S3, which adds the header.
    client.meta.events.register_last("before-call.s3", without_continue_for_small_bodies)
    return client


def with_retries(config: Config | None) -> Config:
    """The storage's client config, with retries and timeouts where it sets none itself.

    botocore's standard mode retries connection errors, timeouts, 5xx answers and throttling,
    with exponential backoff and jitter. Its own timeouts (60 s) would let one hung connection
    hold a worker for minutes.
    """
    config = config or Config()
    chosen = getattr(config, "_user_provided_options", {})
    ours: dict[str, Any] = {}
    if getattr(config, "retries", None) is None:
        ours["retries"] = {"mode": "standard", "total_max_attempts": conf.MAX_ATTEMPTS}
    if "connect_timeout" not in chosen:
        ours["connect_timeout"] = conf.CONNECT_TIMEOUT
    if "read_timeout" not in chosen:
        ours["read_timeout"] = conf.READ_TIMEOUT
    return config.merge(Config(**ours)) if ours else config


def write_parameters(
    storage: S3Storage, key: str, cache_control: str | None, md5: str
) -> dict[str, Any]:
    """The parameters django-storages itself would send for ``key``, a cache policy, and
    the md5 of the bytes as metadata: the one checksum every S3 service keeps as given,
    whatever its ETags are (SSE-KMS, multipart), for --verify and adoption.

    The storage's own CacheControl (``AWS_S3_OBJECT_PARAMETERS``) wins over ours.
    """
    params: dict[str, Any] = dict(storage.get_object_parameters(key))
    params["Metadata"] = {**params.get("Metadata", {}), MD5_METADATA: md5}
    if cache_control and "CacheControl" not in params:
        params["CacheControl"] = cache_control
    if "ContentType" not in params:
        content_type, encoding = mimetypes.guess_type(key)
        params["ContentType"] = content_type or storage.default_content_type
        if encoding:
            params["ContentEncoding"] = encoding
    if "ACL" not in params and storage.default_acl:
        params["ACL"] = storage.default_acl
    return params


COPY_PARAMETERS = {
    "ACL",
    "ServerSideEncryption",
    "SSEKMSKeyId",
    "SSEKMSEncryptionContext",
    "BucketKeyEnabled",
    "StorageClass",
}


def copy_parameters(storage: S3Storage, key: str, etag: str | None = None) -> dict[str, Any]:
    """What a CopyObject to ``key`` must be told again to be written as a PutObject would:
    the metadata (content type, cache policy, md5) comes with the copy, but encryption, the
    storage class and the ACL are the destination's. With ``etag``, only a source that still
    has it is copied."""
    wanted = write_parameters(storage, key, None, "")
    parameters = {name: value for name, value in wanted.items() if name in COPY_PARAMETERS}
    parameters["MetadataDirective"] = "COPY"
    if etag:
        parameters["CopySourceIfMatch"] = etag
    return parameters
