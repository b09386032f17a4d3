from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.staticfiles.storage import HashedFilesMixin, ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage as WhiteNoiseStorage

from collectsync.index.sync_index import SyncIndex
from collectsync.stage.post_processing import unhookable
from tests.support.project import CSS_RULES, INDEX_KEY, Project, run_command

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

FULL_STAGE = (
    "Staging every file: CompressedManifestStaticFilesStorage._stored_name() is missing or "
    "takes other arguments than collectsync expects (a newer Django?), so it can't stage "
    "incrementally."
)


def test_the_storages_collectsync_stages_with_can_be_watched() -> None:
    assert unhookable(WhiteNoiseStorage) is None
    assert unhookable(ManifestStaticFilesStorage) is None


def test_a_hooked_method_taking_other_arguments_is_noticed() -> None:
    class Future(ManifestStaticFilesStorage):
        def hashed_name(self, name: str, *, content: Any = None) -> str:  # type: ignore[override]
            return name

    assert unhookable(Future) == (
        "Future.hashed_name() is missing or takes other arguments than collectsync expects "
        "(a newer Django?), so it can't stage incrementally"
    )


def test_without_a_hooked_method_every_file_is_staged_and_the_line_says_why(
    project: Project, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Sources that refer to nothing: Django's own post-processing never calls the method,
    # as in a Django that no longer has it.
    (project.source / "css/site.css").write_text(CSS_RULES)
    run_command("--noinput")
    monkeypatch.delattr(HashedFilesMixin, "_stored_name")
    (project.source / "js/app.js").write_text("var changed = true;")

    out, _ = run_command("--noinput")

    assert [line for line in out.splitlines() if line.startswith("Staging every")] == [FULL_STAGE]
    assert "reused from the last deploy" not in out
    assert SyncIndex.from_bytes(project.read(INDEX_KEY)).sources is None  # vouches for nothing
    monkeypatch.undo()
    (project.source / "js/app.js").write_text("var changed = 2;")
    again, _ = run_command("--noinput")
    assert "Staging every file: the sync index does not record the sources" in again
