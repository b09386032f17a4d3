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


class TransientError(RemoteError):
    """A remote operation failed on something that passes: throttling, a 5xx answer, a
    timeout, a dropped connection. Worth trying again later."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


class ConnectionLost(RemoteError):
    """Nothing has succeeded for a while and requests keep failing: the deploy stops."""


def interrupted(stage_only: str | None, rollback: int | None) -> str:
    """What a Ctrl-C or SIGTERM left, and what to run next."""
    if stage_only:
        return (
            f"Interrupted: the stage in '{stage_only}' is not complete; rerun collectstatic "
            "--stage-only to finish it."
        )
    if rollback is not None:
        return (
            "Interrupted: the rollback did not finish, so the site still uses the release it "
            "served before; rerun the rollback to finish it (it copies only what is not in "
            "place yet)."
        )
    return (
        "Interrupted: the manifest and the sync index are unchanged, so the site still uses "
        "the previous release. Rerun to deploy."
    )
