"""Options that mean nothing together, refused in one sentence each before anything runs, with
the way to get what the user meant.

This module imports nothing else of the package but errors.py, so every layer can import it.
"""

from __future__ import annotations

from typing import Any, Literal

from django.apps import apps

from collectsync.errors import DeployError

REMOTE_ONLY = ["dry_run", "clear", "prune", "verify", "keep_local", "json_report"]
"""The options that only mean something to a deploy that touches the remote."""

STAGED_AS_IT_WAS = "the rollback copies the earlier release's files as they were staged"
NOT_WITH_ROLLBACK = {
    "stage_only": "build a stage with --stage-only on its own",
    "publish": "to make a stage live, run --publish on its own",
    "history": "run --history on its own to list the releases",
    "force_sync": "give --force-sync to the next deploy",
    "verify": "give --verify to the next deploy",
    "keep_local": "a rollback stages nothing to keep",
    "clear": "give --clear to the next deploy",
    "prune": "give --prune to the next deploy",
    "ignore_patterns": STAGED_AS_IT_WAS,
    "post_process": STAGED_AS_IT_WAS,
    "use_default_ignore_patterns": STAGED_AS_IT_WAS,
}
"""What means nothing to a rollback, which stages and uploads nothing, and what to do instead."""

NOT_WITH_HISTORY = [
    "stage_only",
    "publish",
    "rollback",
    "dry_run",
    "clear",
    "prune",
    "verify",
    "force_sync",
    "keep_local",
    "ignore_patterns",
    "post_process",
    "use_default_ignore_patterns",
]
"""What means nothing to --history, which only reads the releases (--json-report does)."""

DEFAULTS: dict[str, object] = {
    "post_process": True,
    "use_default_ignore_patterns": True,
    "ignore_patterns": [],
    "rollback": None,
}
"""The options whose absence is not False."""
FLAGS = {
    "post_process": "--no-post-process",
    "use_default_ignore_patterns": "--no-default-ignore",
    "ignore_patterns": "--ignore",
}
"""The flags whose name is not their option's."""


def given(options: dict[str, Any], name: str) -> bool:
    value = options.get(name)
    if name == "ignore_patterns":  # Django's set_options() adds the default patterns to it
        defaults = getattr(apps.get_app_config("staticfiles"), "ignore_patterns", [])
        return any(pattern not in defaults for pattern in value or [])
    return value not in (DEFAULTS[name], None) if name in DEFAULTS else bool(value)


def flag(name: str) -> str:
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def refuse_unmeant(options: dict[str, Any]) -> None:
    """Refuse options that mean nothing together with --stage-only, --publish, --rollback or
    --history."""
    if options["rollback"] is not None:
        extra = next((name for name in NOT_WITH_ROLLBACK if given(options, name)), None)
        if extra is not None:
            raise DeployError(
                f"{flag(extra)} means nothing with --rollback, which copies an earlier release "
                f"back and stages nothing; leave it out ({NOT_WITH_ROLLBACK[extra]})."
            )
    if options["history"]:
        extra = next((name for name in NOT_WITH_HISTORY if given(options, name)), None)
        if extra is not None:
            raise DeployError(
                f"{flag(extra)} means nothing with --history, which only lists the releases; "
                "run it without other flags (--json-report writes them as JSON)."
            )
    if options["stage_only"] and options["publish"]:
        raise DeployError(
            "--stage-only and --publish are the two halves of a deploy; run the first where "
            "you build, the second where you release."
        )
    if options["stage_only"]:
        extra = next((name for name in REMOTE_ONLY if options[name]), None)
        if extra:
            raise DeployError(
                f"{flag(extra)} means nothing with --stage-only, which touches no remote; "
                "leave it out, or give it to --publish."
            )
    if options["publish"] and options["keep_local"]:
        raise DeployError(
            "--keep-local means nothing with --publish, which stages nothing: the stage "
            "directory is already what it would keep."
        )


def rollback_target(value: object) -> int | Literal["previous"] | None:
    """The release --rollback names: a number, or the one before the live one."""
    if value is None or value == "previous":
        return None if value is None else "previous"
    try:
        return int(str(value))
    except ValueError:
        raise DeployError(
            f"--rollback takes a release number, as `collectstatic --history` lists them, "
            f"not '{value}'."
        ) from None


def refuse_without_collectsync(options: dict[str, Any], why: str) -> None:
    """Refuse what only collectsync does where Django's own command runs instead (``why``)."""
    wanted = ("stage_only", "publish", "rollback", "history")
    name = next((name for name in wanted if given(options, name)), None)
    if name is not None:
        raise DeployError(
            f"{flag(name)} needs collectsync and a remote staticfiles storage, and {why}: "
            "collectstatic would only collect into STATIC_ROOT."
        )


def without_collectsync(options: dict[str, Any], local: bool) -> str:
    """Why Django's own command runs: in words that name the setting or flag."""
    if options["disable_collectsync"]:
        return "--disable-collectsync turns it off"
    return "the staticfiles storage is a local one" if local else "COLLECTSYNC_ENABLED is False"
