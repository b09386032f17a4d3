"""The test suite on each supported Django, each in its own virtualenv (run by scripts/test)."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

DJANGO_VERSIONS = ["4.2", "5.1", "5.2"]


@nox.session(python="3.11")
@nox.parametrize("django", DJANGO_VERSIONS)
def tests(session: nox.Session, django: str) -> None:
    session.install("-e", ".[s3,test]", f"Django=={django}.*")
    session.run("python", "-m", "pytest", *session.posargs)
