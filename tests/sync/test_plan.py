"""Plan: new, changed and unchanged files, and variants that outlive their name's bytes."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from collectsync.files import StagedFile, StagedSet
from collectsync.index.sync_index import SyncIndex
from collectsync.sync.plan import make_plan
from tests.support.project import (
    INDEX_KEY,
    LOCATION,
    Project,
    RequestLog,
    earlier_release_record,
    run_command,
    stock_whitenoise_tree,
)
from tests.support.staged import staged

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


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


def variant(name: str, source_md5: str) -> StagedFile:
    """A compressed variant, whose bytes differ whenever its source's do."""
    return dataclasses.replace(staged(name, md5=source_md5[::-1]), source_md5=source_md5)


def test_variants_the_new_bytes_no_longer_have_are_stale() -> None:
    old = dataclasses.replace(staged("big.css", md5="1" * 32), variants=(".br", ".gz"))
    index = SyncIndex().updated(
        [old, variant("big.css.br", "1" * 32), variant("big.css.gz", "1" * 32)], None
    )
    new = dataclasses.replace(staged("big.css", md5="2" * 32), variants=(".br",))
    assert index.files["big.css.br"].md5 != variant("big.css.br", "2" * 32).md5

    plan = make_plan(StagedSet([new, variant("big.css.br", "2" * 32)], None), index, force=False)

    assert plan.stale_variants == ["big.css.gz"]
    assert [f.name for f in plan.changed] == ["big.css", "big.css.br"]


def test_variants_vouched_for_by_the_index_are_not_stale() -> None:
    kept = dataclasses.replace(staged("a.css"), variants=(".gz",))
    index = SyncIndex().updated([kept, variant("a.css.gz", kept.md5)], None)
    # A variant the record still lists but no longer names among the file's variants.
    index = index.updated([variant("a.css.br", "0" * 32)], None)

    plan = make_plan(
        StagedSet([staged("a.css")], None, variants_kept=frozenset({"a.css"})),
        index,
        force=False,
    )

    assert plan.stale_variants == ["a.css.br"]


def test_variants_of_hashed_names_are_never_stale() -> None:
    hashed = dataclasses.replace(staged("a.123.css"), immutable=True)
    index = SyncIndex().updated([hashed, variant("a.123.css.gz", hashed.md5)], None)

    plan = make_plan(StagedSet([hashed], None), index, force=False)

    assert plan.stale_variants == []


def test_a_new_name_with_recorded_variants_waits_for_their_deletion() -> None:
    index = SyncIndex().updated([variant("a.css.gz", "0" * 32)], None)

    plan = make_plan(StagedSet([staged("a.css")], None), index, force=False)

    assert plan.stale_variants == ["a.css.gz"]
    assert plan.new == []
    assert [f.name for f in plan.changed] == ["a.css"]


# Contents whose variants Whitenoise keeps or drops: it keeps one only when it is at most 95 %
# of the original's size.
BOTH = ".a{color:red}\n" * 300  # gzip and brotli both pay
NEITHER = "/*410431699e297d3312e4de26*/"  # too short for either
BROTLI_ONLY = "the following the following is a test of the \n"  # brotli's dictionary wins


def variants_in(tree: dict[str, bytes], name: str) -> set[str]:
    return {suffix for suffix in (".br", ".gz") if name + suffix in tree}


@pytest.mark.parametrize(
    ("before", "after", "deleted"),
    [
        (BOTH, NEITHER, {".br", ".gz"}),
        (NEITHER, BOTH, set()),
        (BROTLI_ONLY, BOTH, set()),
        (BOTH, BROTLI_ONLY, {".gz"}),
    ],
    ids=[
        "compressible-to-incompressible",
        "incompressible-to-compressible",
        "br-to-both",
        "both-to-br",
    ],
)
def test_an_unhashed_name_keeps_exactly_the_variants_of_its_new_bytes(
    project: Project,
    settings: SettingsWrapper,
    tmp_path: Path,
    request_log: RequestLog,
    before: str,
    after: str,
    deleted: set[str],
) -> None:
    big = project.source / "css/big.css"
    big.write_text(before)
    first = stock_whitenoise_tree(settings, tmp_path / "first")
    run_command("--noinput")
    big.write_text(after)
    expected = stock_whitenoise_tree(settings, tmp_path / "second")
    assert variants_in(first, "css/big.css") - variants_in(expected, "css/big.css") == deleted
    request_log.clear()

    out, _ = run_command("--noinput", verbosity=2)

    prefix = f"{LOCATION}/"
    remote = {key.removeprefix(prefix) for key in project.keys_outside_archive()} - {INDEX_KEY[7:]}
    hashed_before = set(json.loads(first["staticfiles.json"])["paths"].values())
    old_hashed = {
        name
        for name in set(first) - set(expected)
        if name.removesuffix(".br").removesuffix(".gz") in hashed_before
    }
    # Every name the full collect has, with its bytes; besides them only the previous release's
    # hashed names, untouched, for pages still being served.
    assert remote == set(expected) | old_hashed
    assert {name: project.read(prefix + name) for name in expected} == expected
    assert {name: project.read(prefix + name) for name in old_hashed} == {
        name: first[name] for name in old_hashed
    }
    gone = sorted(f"css/big.css{suffix}" for suffix in deleted)
    assert re.findall(r"Deleted '([^']+)'", out) == gone
    methods = [(method, key.removeprefix(prefix)) for method, _, key in request_log.requests]
    if gone:
        assert f", {len(gone)} stale variant{'s' if len(gone) > 1 else ''} deleted, in " in out
        # Deleted before the name is overwritten, so no variant ever disagrees with its name.
        assert methods.index(("POST", "")) < methods.index(("PUT", "css/big.css"))
    else:
        assert ("POST", "") not in methods


def test_a_dry_run_lists_stale_variants_as_deletions(project: Project) -> None:
    (project.source / "css/big.css").write_text(BOTH)
    run_command("--noinput")
    before = project.object_keys()
    (project.source / "css/big.css").write_text(NEITHER)

    out, _ = run_command("--noinput", "--dry-run")

    assert [line for line in out.splitlines() if line.startswith("Pretending to delete")] == [
        "Pretending to delete 'css/big.css.br' (stale variant)",
        "Pretending to delete 'css/big.css.gz' (stale variant)",
    ]
    assert "2 stale variants would be deleted" in out
    assert project.object_keys() == before


def test_a_record_with_stale_variants_from_an_earlier_release_is_repaired(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    """Buckets deployed before this fix hold such variants, and their records list them."""
    big = project.source / "css/big.css"
    big.write_text(BOTH)
    run_command("--noinput")
    index = SyncIndex.from_bytes(project.read(INDEX_KEY))
    big.write_text(NEITHER)
    run_command("--noinput")
    # What the earlier release left: the old variants, still in the record.
    old = {name: index.files[name] for name in ("css/big.css.br", "css/big.css.gz")}
    for name in old:
        project.s3.put_object(Bucket=project.bucket, Key=f"{LOCATION}/{name}", Body=b"old")
    current = SyncIndex.from_bytes(project.read(INDEX_KEY))
    stale_record = dataclasses.replace(current, files={**current.files, **old}, fingerprint=None)
    project.s3.put_object(
        Bucket=project.bucket, Key=INDEX_KEY, Body=earlier_release_record(stale_record)
    )

    out, _ = run_command("--noinput")

    expected = stock_whitenoise_tree(settings, tmp_path / "now")
    assert "css/big.css.br" not in expected
    assert f"{LOCATION}/css/big.css.br" not in project.object_keys()
    assert f"{LOCATION}/css/big.css.gz" not in project.object_keys()
    assert "2 stale variants deleted" in out
    assert "css/big.css.gz" not in SyncIndex.from_bytes(project.read(INDEX_KEY)).files


def test_variants_of_a_deleted_source_stay_unless_clear(project: Project) -> None:
    """As with stock collectstatic, a deleted source's files stay until --clear."""
    (project.source / "css/big.css").write_text(BOTH)
    run_command("--noinput")
    (project.source / "css/big.css").unlink()

    run_command("--noinput")
    assert f"{LOCATION}/css/big.css.gz" in project.object_keys()

    run_command("--noinput", "--clear")
    assert not [key for key in project.object_keys() if "big" in key]
