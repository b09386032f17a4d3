"""What Google Cloud Storage's errors mean, in one sentence each that names the bucket and the
key, and which of them pass."""

from __future__ import annotations

from google.api_core import exceptions as google
from google.auth.exceptions import DefaultCredentialsError, TransportError
from requests import exceptions as requests

from collectsync.errors import ConcurrentUpdate, RemoteError
from collectsync.remote.weather import Trouble

THROTTLED = (google.TooManyRequests, google.ServiceUnavailable)
PASSING = (google.InternalServerError, google.BadGateway, google.GatewayTimeout)
NO_CONNECTION = (requests.ConnectionError, requests.Timeout, TransportError, ConnectionError)
DENIED = (google.Forbidden, google.Unauthorized)


def trouble(error: Exception) -> Trouble | None:
    """The kind of passing trouble ``error`` is, if it is one."""
    if isinstance(error, NO_CONNECTION):
        return "connection"
    if isinstance(error, THROTTLED):
        return "throttled"
    if isinstance(error, PASSING) or getattr(error, "code", None) == 408:
        return "transient"
    return None


def first_line(error: Exception) -> str:
    # The client library's messages quote the whole request and answer: the first line says it.
    message = getattr(error, "message", None) or str(error)
    return (message.strip().splitlines() or [type(error).__name__])[0].rstrip(".")


def explain(error: Exception, bucket: str, key: str, destination: str) -> str:
    if isinstance(error, DefaultCredentialsError):
        return (
            f"No Google Cloud credentials were found for bucket '{bucket}'; set GS_CREDENTIALS "
            "(or the storage's credentials) or GOOGLE_APPLICATION_CREDENTIALS."
        )
    if isinstance(error, google.NotFound):
        return (
            f"The bucket '{bucket}' does not exist ({destination}); create it or fix "
            "GS_BUCKET_NAME (or the storage's bucket_name)."
        )
    if isinstance(error, DENIED):
        return (
            f"Access to bucket '{bucket}' was denied for '{key}' ({first_line(error)}); check "
            "GS_CREDENTIALS (or GOOGLE_APPLICATION_CREDENTIALS) and the bucket's permissions."
        )
    if isinstance(error, NO_CONNECTION):
        reason = first_line(error)
        return f"Could not reach Google Cloud Storage for '{key}' in {destination}: {reason}."
    return f"Google Cloud Storage refused '{key}' in bucket '{bucket}': {first_line(error)}."


def remote_error(error: Exception, bucket: str, key: str, destination: str) -> RemoteError:
    if isinstance(error, google.PreconditionFailed):
        return ConcurrentUpdate(f"'{key}' in bucket '{bucket}' changed while this deploy ran.")
    return RemoteError(explain(error, bucket, key, destination))
