from __future__ import annotations

import contextlib
import signal
from typing import Any

import pytest
from django.core.management.base import CommandError

from collectsync.interrupts import checkpoint, interrupts_noted
from collectsync.sync import apply, upload
from tests.support.project import INDEX_KEY, MANIFEST_KEY, Project, run_command


def lost_interrupt(signum: int) -> None:
    """A signal whose KeyboardInterrupt is swallowed, as it is inside a finalizer."""
    with contextlib.suppress(KeyboardInterrupt):
        signal.raise_signal(signum)  # the handler runs before this returns


@pytest.mark.usefixtures("ctrl_c")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_whose_exception_was_lost_stops_at_the_checkpoint(signum: int) -> None:
    with interrupts_noted():
        checkpoint()  # nothing noted yet
        lost_interrupt(signum)
        with pytest.raises(KeyboardInterrupt):
            checkpoint()


def test_ctrl_c_stays_off_where_it_was_turned_off() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts_noted():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c")
def test_the_handlers_are_put_back_and_the_note_forgotten() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with interrupts_noted():
        lost_interrupt(signal.SIGTERM)

    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    checkpoint()  # nothing noted outside


def test_a_lost_interrupt_during_upload_switches_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_parallel = upload.upload_parallel

    def upload_then_lose_an_interrupt(*args: Any, **kwargs: Any) -> Any:
        failures = upload_parallel(*args, **kwargs)
        lost_interrupt(signal.SIGTERM)
        return failures

    monkeypatch.setattr(apply, "upload_parallel", upload_then_lose_an_interrupt)

    with pytest.raises(CommandError, match=r"^Interrupted: the manifest and the sync index"):
        run_command("--noinput")

    keys = project.object_keys()
    assert keys
    assert MANIFEST_KEY not in keys
    assert INDEX_KEY not in keys
