"""What S3's errors mean, in one sentence each that names the bucket and the key."""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

MISSING_OBJECT_CODES = {"NoSuchKey", "404", "NotFound"}
UNSUPPORTED_CODES = {"NotImplemented", "501"}
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
        if code in DENIED_CODES:
            return (
                f"Access to bucket '{bucket}' was denied ({code}) for '{key}'; check "
                "the credentials and the bucket's policy."
            )
        return (
            f"S3 refused '{key}' in bucket '{bucket}': {code} {details.get('Message', '')}".rstrip()
        )
    return f"S3 request for '{key}' in bucket '{bucket}' failed: {error}"
