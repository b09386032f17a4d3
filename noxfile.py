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
"""Where branch coverage is measured, once: its tracing makes a session a quarter to a third
slower."""
FAULTS = ("3.12", "6.1")
"""Where the fault matrix runs (every writing flow stopped at every phase, then every kind of
next run): it exercises collectsync's writes, not Django's staging, so once, with the newest
Django, uploading through botocore as a default install does, and without coverage."""


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
    # Django's own staticfiles tests, with collectsync's command in place of Django's: they
    # depend on Django's version, not Python's, so once per Django, on its newest Python.
    if session.python == MATRIX[django][-1]:
        session.run("python", "scripts/support/django_suite.py")
    options = [] if (session.python, django) == NEWEST else ["--no-cov"]
    if (session.python, django) != FAULTS:
        options += ["-m", "not faults"]
    session.run("python", "-m", "pytest", *options, *session.posargs)
