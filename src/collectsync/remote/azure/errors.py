"""What Azure Blob's errors mean, in one sentence each that names the container and the blob,
and which of them pass."""

from __future__ import annotations

from azure.core.exceptions import (
    ClientAuthenticationError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from collectsync.errors import ConcurrentUpdate, RemoteError
from collectsync.remote.base import trouble_of_status
from collectsync.remote.weather import Trouble

NO_CONNECTION = (ServiceRequestError, ServiceResponseError)
CREDENTIALS = (
    "AZURE_CONNECTION_STRING, or AZURE_ACCOUNT_KEY, AZURE_SAS_TOKEN or AZURE_TOKEN_CREDENTIAL"
)


def trouble(error: Exception) -> Trouble | None:
    """The kind of passing trouble ``error`` is, if it is one."""
    if isinstance(error, NO_CONNECTION):
        return "connection"
    return trouble_of_status(getattr(error, "status_code", None))


def first_line(error: Exception) -> str:
    # The SDK's messages go on for lines (request id, time, error code): the first says it.
    message = getattr(error, "reason", None) or str(error)
    return (str(message).strip().splitlines() or [type(error).__name__])[0].rstrip(".")


def explain(error: Exception, container: str, key: str, destination: str) -> str:
    code = getattr(error, "error_code", None)
    code = getattr(code, "value", code)  # the SDK gives some codes as enum members
    if isinstance(error, ResourceNotFoundError) and code == "ContainerNotFound":
        return (
            f"The container '{container}' does not exist ({destination}); create it or fix "
            "AZURE_CONTAINER (or the storage's azure_container)."
        )
    denied = getattr(error, "status_code", None) == 403
    if isinstance(error, ClientAuthenticationError) or denied:
        reason = code or first_line(error)
        return (
            f"Access to container '{container}' was denied for '{key}' ({reason}); check "
            f"{CREDENTIALS} (or the storage's options of those names)."
        )
    if isinstance(error, NO_CONNECTION):
        return f"Could not reach Azure Blob for '{key}' in {destination}: {first_line(error)}."
    detail = f"{code}: {first_line(error)}" if code else first_line(error)
    return f"Azure Blob refused '{key}' in container '{container}': {detail}."


def remote_error(error: Exception, container: str, key: str, destination: str) -> RemoteError:
    if isinstance(error, ResourceModifiedError | ResourceExistsError):
        return ConcurrentUpdate(
            f"'{key}' in container '{container}' changed while this deploy ran."
        )
    return RemoteError(explain(error, container, key, destination))
