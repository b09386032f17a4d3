"""What the errors of any storage library mean, as far as can be told without knowing it: a
connection that failed, or an HTTP status that passes; anything else stops the deploy."""

from __future__ import annotations

from collectsync.errors import RemoteError
from collectsync.remote.base import trouble_of_status
from collectsync.remote.weather import Trouble

CONNECTION_FAILURES = {
    "ConnectionError",  # the built-in one and requests'
    "TimeoutError",
    "Timeout",
    "ServiceRequestError",  # azure.core, which storages on Azure's SDK raise: not sent
    "ServiceResponseError",  # azure.core: no answer came back
}
"""Exception class names that mean the request did not get through, whatever the library."""


def trouble(error: Exception) -> Trouble | None:
    """The kind of passing trouble ``error`` is, if it is one."""
    if CONNECTION_FAILURES & {cls.__name__ for cls in type(error).__mro__}:
        return "connection"
    return trouble_of_status(getattr(error, "status_code", None) or getattr(error, "code", None))


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")


def remote_error(error: Exception, container: str, key: str, destination: str) -> RemoteError:
    return RemoteError(f"The storage {destination} failed on '{key}': {first_line(error)}.")
