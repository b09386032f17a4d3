"""The test suite on each supported Django and Python, each in its own virtualenv (run by
scripts/test, which puts the interpreters on PATH)."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# Each supported Django on every supported Python it allows.
MATRIX = {
    "5.2": ["3.11", "3.12", "3.13"],
    "6.0": ["3.12", "3.13"],
    "6.1": ["3.12", "3.13"],
}
NEWEST = ("3.13", "6.1")


@nox.session
@nox.parametrize(
    ("python", "django"),
    [(python, django) for django, pythons in MATRIX.items() for python in pythons],
)
def tests(session: nox.Session, django: str) -> None:
    # S3 uploads go through the CRT where the crt extra is installed (Python 3.13 here), and
    # through botocore alone everywhere else: both ways users install it.
    extras = "s3,crt,test" if session.python == "3.13" else "s3,test"
    session.install("-e", f".[{extras}]", f"Django=={django}.*")
    # Django's own staticfiles tests, with collectsync's command in place of Django's.
    session.run("python", "scripts/support/django_suite.py")
    # Branch coverage once, with the newest Django on the newest Python: the other sessions
    # run the same tests without its tracing, which made each a quarter to a third slower.
    # The fault matrix (every writing flow stopped at every phase, then every kind of next
    # run) exercises collectsync's writes, not Django's staging: once, in the same session.
    newest = (session.python, django) == NEWEST
    coverage = [] if newest else ["--no-cov", "-m", "not faults"]
    session.run("python", "-m", "pytest", *coverage, *session.posargs)
