"""What S3's errors mean, in one sentence each that names the bucket and the key."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.retries.standard import (
    RetryContext,
    ThrottledRetryableChecker,
    TransientRetryableChecker,
)

from collectsync.errors import ConcurrentUpdate, RemoteError, TransientError
from collectsync.remote.weather import Trouble

MISSING_OBJECT_CODES = {"NoSuchKey", "404", "NotFound"}
WRONG_REGION_CODES = {"PermanentRedirect", "AuthorizationHeaderMalformed", "301"}
"""What S3 answers a request signed for another region than the bucket's: botocore follows
it (and remembers the bucket's region); the CRT's client (the crt extra) doesn't, so the
uploads and copies go through botocore from then on."""
UNSUPPORTED_CODES = {"NotImplemented", "501"}
PRECONDITION_CODES = {"PreconditionFailed", "412"}
DENIED_CODES = {
    "AccessDenied",
    "403",
    "Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


CHECKSUM_HEADERS = ("x-amz-checksum", "x-amz-sdk-checksum", "x-amz-trailer", "aws-chunked")
"""What a service names when it refuses boto3's integrity checksums."""
CHECKSUM_CONFIG = (
    'AWS_S3_CLIENT_CONFIG = Config(request_checksum_calculation="when_required", '
    'response_checksum_validation="when_required")'
)


def explain(error: Exception, bucket: str, key: str) -> str:
    if isinstance(error, NoCredentialsError):
        return (
            f"No AWS credentials were found for bucket '{bucket}'; set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the storage's credentials."
        )
    if isinstance(error, EndpointConnectionError):
        return (
            f"Could not connect to the S3 endpoint of bucket '{bucket}' "
            f"({error.kwargs.get('endpoint_url')}); check AWS_S3_ENDPOINT_URL."
        )
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        if code == "NoSuchBucket":
            return (
                f"The bucket '{bucket}' does not exist; create it or fix AWS_STORAGE_BUCKET_NAME."
            )
        message = str(details.get("Message", ""))
        if code in ("InvalidArgument", "400") and any(h in message for h in CHECKSUM_HEADERS):
            return (
                f"The S3 service of bucket '{bucket}' refused boto3's integrity checksums for "
                f"'{key}' ({message.rstrip('.')}); set {CHECKSUM_CONFIG} (or the storage's "
                "client_config) and rerun."
            )
        if code in WRONG_REGION_CODES:
            return (
                f"Bucket '{bucket}' is not in the region the request for '{key}' was signed "
                f"for ({code} {message}".rstrip()
                + "); set AWS_S3_REGION_NAME (or the "
                "storage's region_name) to the bucket's region and rerun."
            )
        if code == "InvalidAccessKeyId":
            return (
                f"The access key is not known to the S3 service of bucket '{bucket}' "
                f"({code}); check AWS_S3_ACCESS_KEY_ID (or the storage's access_key) and rerun."
            )
        if code in DENIED_CODES:
            return (
                f"Access to bucket '{bucket}' was denied ({code}) for '{key}'; check "
                "the credentials (AWS_S3_ACCESS_KEY_ID and AWS_S3_SECRET_ACCESS_KEY, or the "
                "storage's access_key and secret_key) and the bucket's policy."
            )
        return f"S3 refused '{key}' in bucket '{bucket}': {code} {message}".rstrip()
    return f"S3 request for '{key}' in bucket '{bucket}' failed: {error}"


THROTTLED = ThrottledRetryableChecker()
TRANSIENT = TransientRetryableChecker()


class Unretried(Exception):
    """A request that failed on something that passes, left for its caller to try again."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error
        """What botocore would have raised had it not retried: ClientError or its own."""


def failure_kind(
    parsed: Mapping[str, Any] | None, status: int | None, exception: Exception | None
) -> Trouble | None:
    """What kind of passing trouble an answer (or an exception) is, as botocore's own
    retry checks see it; None for an answer that is no such trouble, errors like 404
    included."""
    if isinstance(exception, ConnectionError | HTTPClientError):
        return "connection"
    context = RetryContext(
        attempt_number=1,
        parsed_response=parsed,
        http_response=SimpleNamespace(status_code=status) if status else None,
        caught_exception=exception,
    )
    if status in (429, 503) or THROTTLED.is_retryable(context):
        return "throttled"  # S3 answers 503 SlowDown when it wants fewer requests
    if TRANSIENT.is_retryable(context):
        return "transient"
    return None


def short_reason(
    parsed: Mapping[str, Any] | None, status: int | None, exception: Exception | None
) -> str:
    if exception is not None:
        # botocore's messages end with the endpoint URL and key: the first part says it.
        return str(exception).split(": ")[0] or type(exception).__name__
    code = (parsed or {}).get("Error", {}).get("Code", "")
    return f"{status} {code}".strip()


def remote_error(error: Exception, bucket: str, key: str) -> RemoteError:
    """The error to raise for a failed request: worth retrying later or not."""
    if isinstance(error, Unretried):
        error = error.error
    parsed: Mapping[str, Any] | None = error.response if isinstance(error, ClientError) else None
    status = (parsed or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    kind = failure_kind(parsed, status, None if parsed is not None else error)
    message = explain(error, bucket, key)
    if kind is None:
        return RemoteError(message)
    return TransientError(message, throttled=kind != "transient")


CONDITIONS = ("IfMatch", "IfNoneMatch")


def put_error(
    error: Exception, bucket: str, key: str, parameters: Mapping[str, Any]
) -> Exception | None:
    """The error to raise for a PutObject of ``key`` with ``parameters`` that failed; None
    when the service doesn't support its conditions (the caller writes without them)."""
    code = error_code(error) if isinstance(error, ClientError) else ""
    if code in PRECONDITION_CODES:
        return changed_meanwhile(bucket, key)
    if code in UNSUPPORTED_CODES and any(name in parameters for name in CONDITIONS):
        return None
    if code in UNSUPPORTED_CODES and "ACL" in parameters:
        return RemoteError(
            f"The S3 service of bucket '{bucket}' does not implement ACLs: it refused '{key}' "
            f"with the ACL '{parameters['ACL']}' ({code}); set AWS_DEFAULT_ACL = None (or the "
            "storage's default_acl) and rerun."
        )
    return remote_error(error, bucket, key)


def copy_error(error: Exception, bucket: str, source: str) -> Exception:
    """The error to raise for a CopyObject from ``source`` that failed."""
    if isinstance(error, ClientError) and error_code(error) in PRECONDITION_CODES:
        return changed_meanwhile(bucket, source)
    return remote_error(error, bucket, source)


def changed_meanwhile(bucket: str, key: str) -> ConcurrentUpdate:
    """A condition on ``key`` (its ETag as read, or its absence) no longer held."""
    return ConcurrentUpdate(f"'{key}' in bucket '{bucket}' changed while this deploy ran.")
