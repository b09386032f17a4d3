"""What can stop a deploy, each error one sentence meant for the user.

This module imports nothing else of the package, so every layer can import it.
"""

from __future__ import annotations


class DeployError(Exception):
    """A deploy stopped; the message names the thing and what to do next."""


class RemoteError(DeployError):
    """A remote operation failed."""


class ConcurrentUpdate(RemoteError):
    """A conditional write lost: the object changed since this process read it."""


class StagingError(DeployError):
    """Staging failed; nothing has been uploaded."""
