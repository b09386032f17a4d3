from __future__ import annotations

from collectsync.index import SyncIndex
from collectsync.plan import make_plan
from collectsync.staging import StagedSet
from tests.test_index import staged


def test_files_are_new_changed_or_unchanged() -> None:
    index = SyncIndex().updated([staged("same.css"), staged("edited.css")], None)
    files = [staged("same.css"), staged("edited.css", md5="e" * 32), staged("added.css")]

    plan = make_plan(StagedSet(files, staged("staticfiles.json")), index, force=False)

    assert [f.name for f in plan.new] == ["added.css"]
    assert [f.name for f in plan.changed] == ["edited.css"]
    assert [f.name for f in plan.unchanged] == ["same.css"]
    assert [f.name for f in plan.uploads] == ["added.css", "edited.css", "staticfiles.json"]
    assert plan.staged_count == 4


def test_an_unchanged_manifest_is_not_uploaded() -> None:
    manifest = staged("staticfiles.json")
    index = SyncIndex().updated([staged("a.css")], manifest)

    plan = make_plan(StagedSet([staged("a.css")], manifest), index, force=False)

    assert plan.uploads == []
    assert plan.upload_bytes == 0


def test_force_uploads_everything_including_the_manifest() -> None:
    manifest = staged("staticfiles.json")
    index = SyncIndex().updated([staged("a.css")], manifest)

    plan = make_plan(StagedSet([staged("a.css")], manifest), index, force=True)

    assert [f.name for f in plan.uploads] == ["a.css", "staticfiles.json"]


def test_a_manifest_under_another_name_is_uploaded() -> None:
    index = SyncIndex().updated([], staged("staticfiles.json"))

    plan = make_plan(StagedSet([], staged("manifest.json")), index, force=False)

    assert plan.manifest is not None
