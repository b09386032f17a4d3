"""Progress bars: on a terminal's stderr at verbosity 1 or more, and nowhere else."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from collectsync.progress import Progress
from tests.support.project import Project


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def deploy(stderr: io.StringIO, verbosity: int = 1) -> str:
    stdout = io.StringIO()
    call_command("collectstatic", "--noinput", verbosity=verbosity, stdout=stdout, stderr=stderr)
    return stdout.getvalue()


def test_a_terminal_sees_collecting_post_processing_and_uploading(project: Project) -> None:
    terminal = Terminal()

    out = deploy(terminal)

    counts = re.search(r"; (\d+) uploaded", out)
    assert counts is not None
    uploaded = int(counts.group(1))
    shown = terminal.getvalue()
    assert "Collecting: 100%|" in shown
    assert "| 6/6 [" in shown
    assert "Post-processing: " in shown
    assert "Uploading: 100%|" in shown
    assert f"| {uploaded}/{uploaded} [" in shown


def test_no_bars_without_a_terminal_or_at_verbosity_zero(project: Project) -> None:
    log, quiet_terminal = io.StringIO(), Terminal()

    deploy(log)
    (project.source / "js/app.js").write_text("var changed = 1;")
    deploy(quiet_terminal, verbosity=0)

    assert log.getvalue() == ""
    assert quiet_terminal.getvalue() == ""


def test_a_progress_without_a_stream_ticks_silently(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress(None).bar("Uploading", total=3) as bar:
        bar.tick()
        bar.tick("throttled")

    # tqdm writes to stderr when it is given no stream: nothing may reach either.
    assert capsys.readouterr() == ("", "")


def test_a_progress_with_a_stream_shows_its_bar() -> None:
    stream = io.StringIO()
    with Progress(stream).bar("Uploading", total=1) as bar:
        bar.tick()
    assert "Uploading: 100%" in stream.getvalue()
