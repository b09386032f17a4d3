from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from collectsync.stage.code_identity import package_version
from collectsync.stage.fingerprint import input_fingerprint
from collectsync.stage.sources import read_sources

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def fingerprint(**overrides: object) -> str:
    options: dict[str, object] = {"post_process": True, "manifest_name": "staticfiles.json"}
    options.update(overrides)
    read = read_sources(["CVS", ".*", "*~"])
    return input_fingerprint(read, **options).fingerprint  # type: ignore[arg-type]


def test_same_inputs_same_fingerprint(settings: SettingsWrapper, static_source: Path) -> None:
    settings.STATICFILES_DIRS = [str(static_source)]

    assert fingerprint() == fingerprint()
    assert (
        input_fingerprint(read_sources([]), post_process=True, manifest_name=None).source_count == 6
    )


def test_every_input_changes_the_fingerprint(
    settings: SettingsWrapper, static_source: Path
) -> None:
    settings.STATICFILES_DIRS = [str(static_source)]
    seen = {fingerprint()}

    (static_source / "js/app.js").write_text("changed")
    seen.add(fingerprint())
    (static_source / "js/app.js").rename(static_source / "js/moved.js")
    seen.add(fingerprint())
    settings.STATICFILES_DIRS = [("prefix", str(static_source))]
    seen.add(fingerprint())
    settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = True
    seen.add(fingerprint())
    settings.STATIC_URL = "/elsewhere/"
    seen.add(fingerprint())
    settings.COLLECTSYNC_LOCAL_STORAGE_OPTIONS = {"manifest_strict": False}
    seen.add(fingerprint())
    seen.add(fingerprint(post_process=False))
    seen.add(fingerprint(manifest_name="other.json"))

    assert len(seen) == 9


def test_ignored_files_are_not_part_of_it(settings: SettingsWrapper, static_source: Path) -> None:
    settings.STATICFILES_DIRS = [str(static_source)]
    before = fingerprint()

    (static_source / "notes.txt~").write_text("editor backup")

    assert fingerprint() == before


def test_package_version() -> None:
    assert package_version("django") != "absent"
    assert package_version("no-such-distribution-collectsync") == "absent"
