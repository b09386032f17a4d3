"""A deploy, top to bottom, against a real LocalStack S3: what it uploads and skips, dry runs,
what it keeps and cleans up, interrupts and failures, cache policies and the JSON report."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import mimetypes
import os
import re
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as DjangoCommand,
)
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from collectsync.management.commands.collectstatic import Command
from scripts.faults.proxy import Action, FaultProxy
from tests.settings import S3_ENDPOINT
from tests.support.children import run_child, wait_for
from tests.support.project import (
    ARCHIVE,
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    WHITENOISE,
    Project,
    RequestLog,
    remote_tree,
    run_command,
    stock_whitenoise_tree,
    without_time,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def test_first_deploy_uploads_what_stock_whitenoise_would_write(
    project: Project, settings: SettingsWrapper, tmp_path: Path, request_log: RequestLog
) -> None:
    out, err = run_command("--noinput")

    expected = stock_whitenoise_tree(settings, tmp_path / "stock")
    assert remote_tree(project) == expected
    assert INDEX_KEY in project.object_keys()
    assert err == ""
    assert without_time(out) == (
        f"\n{len(expected)} static files staged; {len(expected)} uploaded to "
        f"'s3://{project.bucket}/static' ({sum(map(len, expected.values())) / 1024:.1f} KB),"
        " 0 unchanged, in Xs.\n"
    )
    assert request_log.keys("PUT") == project.object_keys()


def test_content_type_and_encoding_of_each_variant(project: Project) -> None:
    run_command("--noinput")

    theme = project.manifest_paths()["css/theme.css"]
    for name, encoding in [
        (theme, None),
        (f"{theme}.gz", "gzip"),
        (f"{theme}.br", "br"),
    ]:
        head = project.s3.head_object(Bucket=project.bucket, Key=f"{LOCATION}/{name}")
        assert head["ContentType"] == "text/css"
        assert head.get("ContentEncoding") == encoding
    js = project.s3.head_object(Bucket=project.bucket, Key=f"{LOCATION}/js/app.js")
    assert js["ContentType"] == mimetypes.guess_type("app.js")[0]
    manifest = project.s3.head_object(Bucket=project.bucket, Key=MANIFEST_KEY)
    assert manifest["ContentType"] == "application/json"


def test_second_run_with_nothing_changed_uploads_nothing(
    project: Project, request_log: RequestLog
) -> None:
    run_command("--noinput")
    request_log.clear()

    out, _ = run_command("--noinput")

    assert request_log.requests == [("GET", project.bucket, INDEX_KEY)]
    assert without_time(out) == (
        f"\nNothing changed since the last deploy to 's3://{project.bucket}/static': "
        "6 source files and the settings match its fingerprint, so staging was skipped and "
        "nothing was uploaded, in Xs.\n"
    )


def test_new_fingerprint_with_identical_output_stages_but_uploads_only_the_index(
    project: Project, request_log: RequestLog, staging_parent: Path
) -> None:
    run_command("--noinput")
    # A setting that is part of the fingerprint, set to the value it already had.
    project.settings.WHITENOISE_MANIFEST_STRICT = True
    request_log.clear()

    out, _ = run_command("--noinput")

    assert request_log.keys("PUT") == {INDEX_KEY}
    assert " 0 uploaded to " in out
    assert "(0 bytes)" in out
    request_log.clear()
    run_command("--noinput")
    assert request_log.requests == [("GET", project.bucket, INDEX_KEY)]


@pytest.mark.parametrize(
    "change",
    ["source file", "new source file", "whitenoise setting", "static url", "no post-process"],
)
def test_any_input_change_bypasses_the_fast_path(
    project: Project, request_log: RequestLog, change: str
) -> None:
    run_command("--noinput")
    options = []
    if change == "source file":
        (project.source / "img/icon.svg").write_text("<svg/>")
    elif change == "new source file":
        (project.source / "js/extra.js").write_text("var extra = 1;")
    elif change == "whitenoise setting":
        project.settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = True
    elif change == "static url":
        project.settings.STATIC_URL = "/assets/"
    else:
        options.append("--no-post-process")
    request_log.clear()

    out, _ = run_command("--noinput", *options)

    assert "Nothing changed" not in out
    assert INDEX_KEY in request_log.keys("PUT")


@pytest.mark.parametrize("stylesheet", ["css/site.css", "css/theme.css"])
def test_changing_one_css_file_uploads_exactly_its_variants_manifest_and_index(
    project: Project, request_log: RequestLog, stylesheet: str
) -> None:
    run_command("--noinput")
    old_hashed = project.manifest_paths()[stylesheet]
    source = project.source / stylesheet
    old_bytes = project.read(f"{LOCATION}/{stylesheet}")
    old_manifest_md5 = hashlib.md5(project.read(MANIFEST_KEY)).hexdigest()
    source.write_text(source.read_text() + ".changed { color: red; }\n")
    request_log.clear()

    run_command("--noinput")

    new_hashed = project.manifest_paths()[stylesheet]
    assert new_hashed != old_hashed
    variants = {"", ".gz", ".br"}
    assert request_log.keys("PUT") == (
        {f"{LOCATION}/{new_hashed}{v}" for v in variants}
        | {f"{LOCATION}/{stylesheet}{v}" for v in variants}
        | {MANIFEST_KEY, INDEX_KEY}
    )
    # The bytes overwritten are kept for a rollback: the manifest and the index of the
    # release replaced are copied aside; the stylesheet and its variants too, unless the
    # previous release's hashed name holds the same bytes (no URL in it was rewritten).
    archive = f"{INDEX_KEY}.releases"
    old_md5 = hashlib.md5(old_bytes).hexdigest()
    twin_holds_them = project.read(f"{LOCATION}/{old_hashed}") == old_bytes
    assert twin_holds_them == (stylesheet == "css/theme.css")
    aside = set() if twin_holds_them else {f"{archive}/{old_md5}/{stylesheet}{v}" for v in variants}
    assert request_log.keys("COPY") == (
        aside | {f"{archive}/{old_manifest_md5}/staticfiles.json", f"{archive}/index/1"}
    )
    # The previous release's hashed file stays for pages still being served.
    assert f"{LOCATION}/{old_hashed}" in project.object_keys()
    assert project.read(f"{LOCATION}/{stylesheet}") == source.read_bytes()


def test_force_sync_uploads_every_staged_file(project: Project, request_log: RequestLog) -> None:
    run_command("--noinput")
    request_log.clear()

    out, _ = run_command("--noinput", "--force-sync")

    assert request_log.keys("PUT") == project.keys_outside_archive()
    # Nothing changed: nothing to keep for a rollback but the index of the release replaced.
    assert request_log.keys("COPY") == {f"{ARCHIVE}index/1"}
    assert " 0 unchanged" in out


def test_dry_run_writes_nothing_and_lists_the_plan(
    project: Project, request_log: RequestLog
) -> None:
    out, _ = run_command("--noinput", "--dry-run")

    assert project.object_keys() == set()
    assert request_log.keys("PUT") == set()
    # Django's own words for a dry run, at the verbosity Django uses, then the reason.
    assert "Pretending to copy 'css/theme.css' (new)\n" in out
    assert "Pretending to copy 'staticfiles.json' (manifest, last)\n" in out
    assert "would be uploaded to" in out
    assert out.rstrip().endswith("Nothing was written (--dry-run).")


def test_dry_run_after_a_change_lists_only_the_changed_files(project: Project) -> None:
    run_command("--noinput")
    (project.source / "js/app.js").write_text("function changed() {}\n" * 80)
    keys_before = project.object_keys()

    out, _ = run_command("--noinput", "--dry-run", verbosity=2)

    planned = dict(re.findall(r"Pretending to copy '([^']+)' \((changed|new)\)", out))
    changed = sorted(name for name, kind in planned.items() if kind == "changed")
    new = sorted(name for name, kind in planned.items() if kind == "new")
    assert changed == ["js/app.js", "js/app.js.br", "js/app.js.gz"]
    assert len(new) == 3
    assert all(re.fullmatch(r"js/app\.[0-9a-f]{12}\.js(\.gz|\.br)?", name) for name in new)
    assert "Pretending to copy 'staticfiles.json' (manifest, last)" in out
    assert project.object_keys() == keys_before


def test_keep_local_keeps_the_staged_files(project: Project, staging_parent: Path) -> None:
    out, _ = run_command("--noinput", "--keep-local")

    kept = Path(re.findall(r"Staged files kept in '([^']+)'", out)[0])
    assert kept.parent == staging_parent
    staged = {p.relative_to(kept).as_posix() for p in kept.rglob("*") if p.is_file()}
    assert {f"{LOCATION}/{name}" for name in staged} | {INDEX_KEY} == project.object_keys()


def test_staging_dir_is_removed_after_a_run(project: Project, staging_parent: Path) -> None:
    run_command("--noinput")

    assert list(staging_parent.iterdir()) == []


def test_failed_staging_removes_the_dir_writes_nothing_and_restores_the_storage(
    project: Project, staging_parent: Path
) -> None:
    (project.source / "css/broken.css").write_text('body { background: url("missing.png"); }')
    command = Command()

    with pytest.raises(CommandError) as caught:
        call_command(command, "--noinput", stdout=io.StringIO(), stderr=io.StringIO())

    assert str(caught.value) == (
        "Staging failed: the CSS file 'css/broken.css' references 'css/missing.png', which "
        "could not be found; fix the reference or add the file. Nothing was uploaded."
    )
    assert list(staging_parent.iterdir()) == []
    assert project.object_keys() == set()
    assert command.storage is staticfiles_storage


def test_no_post_process_uploads_the_plain_files_only(project: Project) -> None:
    run_command("--noinput", "--no-post-process")

    source = {p.relative_to(project.source).as_posix() for p in project.source.rglob("*.*")}
    assert project.object_keys() == {f"{LOCATION}/{name}" for name in source} | {INDEX_KEY}


def test_a_second_file_with_the_same_path_is_reported_in_djangos_words(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    shadowed = tmp_path / "shadowed"
    (shadowed / "css").mkdir(parents=True)
    (shadowed / "css/theme.css").write_text("/* never collected */")
    settings.STATICFILES_DIRS = [str(project.source), str(shadowed)]
    settings.STATIC_ROOT = str(tmp_path / "stock")
    stock_settings = settings.STORAGES
    settings.STORAGES = {**stock_settings, "staticfiles": {"BACKEND": WHITENOISE}}
    stock = {}
    for verbosity in (1, 2):
        stock_out = io.StringIO()
        call_command(DjangoCommand(), "--noinput", verbosity=verbosity, stdout=stock_out)
        stock[verbosity] = [line for line in stock_out.getvalue().splitlines() if "another" in line]
    settings.STORAGES = stock_settings
    (stock_line,) = stock[2]
    assert stock_line.startswith("Found another file with the destination path 'css/theme.css'")

    # Staging the first time, skipping it the second (nothing changed): the same messages at
    # the same verbosity as Django's (1 on Django 5.2, 2 since 6.0).
    for verbosity, run in [(2, "staged"), (2, "skipped"), (1, "skipped")]:
        out, _ = run_command("--noinput", verbosity=verbosity)
        assert [line for line in out.splitlines() if "another" in line] == stock[verbosity], run
        assert "1 skipped due to conflict" in out, run
    assert "Nothing changed" in out
    assert (
        project.read(f"{LOCATION}/css/theme.css") == (project.source / "css/theme.css").read_bytes()
    )


def test_write_parameters_of_the_storage_are_used_and_keys_never_renamed(
    project: Project,
) -> None:
    project.storage_options(
        default_acl="public-read",
        object_parameters={"CacheControl": "max-age=60"},
        file_overwrite=False,
    )
    run_command("--noinput")
    keys_after_first = project.object_keys()

    run_command("--noinput", "--force-sync")

    assert project.keys_outside_archive() == keys_after_first
    key = f"{LOCATION}/css/theme.css"
    assert project.s3.head_object(Bucket=project.bucket, Key=key)["CacheControl"] == ("max-age=60")
    grants = project.s3.get_object_acl(Bucket=project.bucket, Key=key)["Grants"]
    assert any(
        g["Grantee"].get("URI", "").endswith("/global/AllUsers") and g["Permission"] == "READ"
        for g in grants
    )


def test_location_is_where_keys_go(project: Project) -> None:
    project.storage_options(location="assets/v1")

    out, _ = run_command("--noinput")

    assert all(key.startswith("assets/v1/") for key in project.object_keys())
    assert "assets/v1/staticfiles.json" in project.object_keys()
    assert f"'s3://{project.bucket}/assets/v1'" in out


def test_a_corrupt_index_is_reported_and_rebuilt_from_a_listing(
    project: Project, request_log: RequestLog
) -> None:
    run_command("--noinput")
    project.s3.put_object(Bucket=project.bucket, Key=INDEX_KEY, Body=b"{not json")
    request_log.clear()

    out, err = run_command("--noinput")

    assert "The sync index '.collectsync-index.json'" in err
    assert "is unusable" in err
    assert "compared the staged files with a listing of its" in out
    assert request_log.keys("PUT") == {INDEX_KEY}
    request_log.clear()
    run_command("--noinput")  # and the rewritten index is readable again
    assert request_log.requests == [("GET", project.bucket, INDEX_KEY)]


def test_moving_from_stock_collectstatic_uploads_only_the_differences(
    project: Project, request_log: RequestLog
) -> None:
    run_command("--noinput", "--disable-collectsync", verbosity=0)
    stock_keys = project.object_keys()
    assert INDEX_KEY not in stock_keys
    request_log.clear()

    run_command("--noinput")

    assert ("GET", project.bucket, "") in request_log.requests  # one listing
    # Whitenoise's compressed variants are new; what stock uploaded is there already.
    assert request_log.keys("PUT") & stock_keys == set()
    assert all(key.endswith((".gz", ".br")) for key in request_log.keys("PUT") - {INDEX_KEY})


def test_verify_reuploads_what_was_deleted_behind_its_back(
    project: Project, request_log: RequestLog
) -> None:
    run_command("--noinput")
    deleted = f"{LOCATION}/{project.manifest_paths()['css/theme.css']}.gz"
    project.s3.delete_object(Bucket=project.bucket, Key=deleted)
    request_log.clear()
    run_command("--noinput")
    assert request_log.keys("PUT") == set()  # the record can't know without --verify
    request_log.clear()

    run_command("--noinput", "--verify")

    assert request_log.keys("PUT") == {deleted, INDEX_KEY}


def test_a_missing_bucket_is_a_clear_error(project: Project, staging_parent: Path) -> None:
    project.storage_options(bucket_name="collectsync-no-such-bucket")

    with pytest.raises(
        CommandError, match="The bucket 'collectsync-no-such-bucket' does not exist"
    ):
        run_command("--noinput")
    assert list(staging_parent.iterdir()) == []


def test_only_new_content_is_compressed_and_the_bucket_matches_full_whitenoise_runs(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    run_command("--noinput")
    theme = project.source / "css/theme.css"
    original = theme.read_bytes()
    # Only theme.css is staged again, so 2 files reach Whitenoise's compress step: its
    # original and its hashed name. Changed, neither has variants remote; reverted, the
    # first deploy's hashed name comes back, and its variants are remote: 1 skipped.
    for step, (content, skipped) in enumerate([(original + b".x{}\n" * 40, 0), (original, 1)]):
        theme.write_bytes(content)

        out, _ = run_command("--noinput")

        assert ("(compression skipped for 1 file whose variants are remote)" in out) == skipped
        expected = stock_whitenoise_tree(settings, tmp_path / f"stock-{step}")
        remote = remote_tree(project)
        assert {name: remote.get(name) for name in expected} == expected


def test_force_sync_compresses_everything_again(project: Project) -> None:
    run_command("--noinput")

    out, _ = run_command("--noinput", "--force-sync")

    assert "compression skipped" not in out


def test_sigterm_during_staging_cleans_up_and_switches_nothing(
    project: Project, settings: SettingsWrapper, tmp_path: Path, staging_parent: Path
) -> None:
    temp = staging_parent
    paused = tmp_path / "paused"
    # The child stops in the middle of post-processing until the signal ends it.
    child = run_child(project, temp, COLLECTSYNC_TEST_PAUSE=str(paused))
    wait_for(paused.exists, child)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)

    assert child.returncode == 1
    assert "CommandError: Interrupted: the manifest and the sync index are unchanged" in err
    assert list(temp.iterdir()) == []
    # Files final before the signal may have been uploaded early: new keys nothing names yet.
    keys = project.object_keys()
    assert MANIFEST_KEY not in keys
    assert INDEX_KEY not in keys

    run_command("--noinput")

    assert remote_tree(project) == stock_whitenoise_tree(settings, tmp_path / "stock")
    assert INDEX_KEY in project.object_keys()


def test_sigterm_during_upload_cleans_up_and_switches_nothing(
    project: Project, tmp_path: Path, staging_parent: Path
) -> None:
    temp = staging_parent
    upstream = urlsplit(S3_ENDPOINT)
    assert upstream.hostname is not None
    assert upstream.port is not None
    held = threading.Event()
    released = threading.Event()
    puts = itertools.count(1)

    def hold_the_third_put(method: str, key: str, attempt: int) -> Action:
        # One worker uploads one file at a time: two have landed when the third is held,
        # and the deploy can't finish while it is.
        if method == "PUT" and next(puts) == 3:
            held.set()
            released.wait(timeout=120)
        return "pass"

    proxy = FaultProxy(upstream.hostname, upstream.port, hold_the_third_put)
    with proxy.running():
        child = run_child(
            project, temp, COLLECTSYNC_TEST_S3_ENDPOINT=proxy.endpoint, COLLECTSYNC_WORKERS="1"
        )
        wait_for(held.is_set, child)
        child.send_signal(signal.SIGTERM)
        # Answered once the child has given up (its staging dir is gone), never before.
        wait_for(lambda: not any(temp.glob("collectsync-*")), child)
        released.set()
        _, err = child.communicate(timeout=60)

    assert child.returncode == 1
    assert "CommandError: Interrupted: the manifest and the sync index are unchanged" in err
    assert list(temp.iterdir()) == []
    keys = project.object_keys()
    assert len(keys) >= 2  # it was interrupted mid-upload ...
    assert MANIFEST_KEY not in keys  # ... and switched nothing
    assert INDEX_KEY not in keys


def test_an_unreadable_source_file_is_one_line_and_uploads_nothing(project: Project) -> None:
    (project.source / "css/gone.css").symlink_to(project.source / "css/nowhere.css")

    with pytest.raises(
        CommandError,
        match=r"^Staging failed: could not read '.*gone\.css' \(No such file or directory\)\.",
    ):
        run_command("--noinput")

    assert project.object_keys() == set()


def test_large_files_are_never_uploaded_again_unchanged(
    project: Project, request_log: RequestLog
) -> None:
    (project.source / "media").mkdir()
    (project.source / "media/large.jpg").write_bytes(os.urandom(20 * 1024 * 1024))
    run_command("--noinput")
    (project.source / "js/app.js").write_text("var changed = true;")
    request_log.clear()

    run_command("--noinput")

    assert not [key for key in request_log.keys("PUT") if "large" in key]


def test_awkward_names_empty_and_large_files_and_symlinked_dirs_deploy_intact(
    project: Project, tmp_path: Path
) -> None:
    odd = {
        "docs/a name with spaces.txt": b"spaces",
        "docs/unicodé ünïcode 文字.txt": b"unicode",
        "docs/percent%20and%.txt": b"percent",
        "docs/hash#and?question.txt": b"hash and question",
        "docs/empty.txt": b"",
    }
    for name, data in odd.items():
        (project.source / name).parent.mkdir(parents=True, exist_ok=True)
        (project.source / name).write_bytes(data)
    large = os.urandom(50 * 1024 * 1024)  # incompressible, as large media is
    (project.source / "media").mkdir()
    (project.source / "media/large.jpg").write_bytes(large)
    linked = tmp_path / "elsewhere"
    linked.mkdir()
    (linked / "linked.js").write_text("var linked = true;")
    (project.source / "vendor").symlink_to(linked, target_is_directory=True)

    run_command("--noinput")

    for name, data in odd.items():
        assert project.read(f"{LOCATION}/{name}") == data
    assert project.read(f"{LOCATION}/media/large.jpg") == large
    assert project.read(f"{LOCATION}/vendor/linked.js") == b"var linked = true;"


def test_hashed_names_are_cached_forever_and_the_rest_briefly(project: Project) -> None:
    run_command("--noinput")

    def cache_control(name: str) -> str | None:
        head = project.s3.head_object(Bucket=project.bucket, Key=f"{LOCATION}/{name}")
        return head.get("CacheControl")

    hashed = project.manifest_paths()["css/theme.css"]
    for name in (hashed, f"{hashed}.gz", f"{hashed}.br", project.manifest_paths()["img/logo.png"]):
        assert cache_control(name) == "public, max-age=31536000, immutable"
    for name in ("css/theme.css", "css/theme.css.br", "img/logo.png", "staticfiles.json"):
        assert cache_control(name) == "public, max-age=300"


def test_cache_policies_are_settings(project: Project) -> None:
    project.settings.COLLECTSYNC_IMMUTABLE_CACHE_CONTROL = "max-age=99"
    project.settings.COLLECTSYNC_MUTABLE_CACHE_CONTROL = None

    run_command("--noinput")

    hashed = project.manifest_paths()["css/theme.css"]
    head = project.s3.head_object(Bucket=project.bucket, Key=f"{LOCATION}/{hashed}")
    assert head["CacheControl"] == "max-age=99"
    head = project.s3.head_object(Bucket=project.bucket, Key=f"{LOCATION}/css/theme.css")
    assert "CacheControl" not in head


def test_json_report_matches_what_was_sent(
    project: Project, request_log: RequestLog, tmp_path: Path
) -> None:
    path = tmp_path / "report.json"

    run_command("--noinput", "--json-report", str(path))
    sent = len(request_log.requests)

    report = json.loads(path.read_text())
    uploaded = project.object_keys() - {INDEX_KEY}
    assert report["destination"] == f"s3://{project.bucket}/static"
    assert report["staging_skipped"] is False
    assert report["source_files"] == 6
    assert report["staged_files"] == report["uploaded_files"] == len(uploaded)
    assert report["unchanged_files"] == 0
    assert report["bytes_uploaded"] == sum(len(project.read(key)) for key in uploaded)
    assert set(report["seconds"]) == {"total", "staging", "upload"}
    # GETs of the missing index and partial record, one LIST of the empty location, then a
    # PUT per file and one for the index.
    assert report["requests"] == {"GET": 2, "LIST": 1, "PUT": len(uploaded) + 1}
    assert sent == sum(report["requests"].values())
    assert report["throttling"] == {
        "requests_retried": 0,
        "backoff_seconds": 0.0,
        "lowest_concurrency": None,
    }


def test_json_report_of_a_skipped_deploy(project: Project, tmp_path: Path) -> None:
    run_command("--noinput")
    path = tmp_path / "report.json"

    run_command("--noinput", "--json-report", str(path))

    report = json.loads(path.read_text())
    assert report["staging_skipped"] is True
    assert report["uploaded_files"] == 0
    assert report["requests"] == {"GET": 1}


@pytest.mark.parametrize("keep_only_hashed", [False, True])
def test_staging_never_touches_the_source_files(project: Project, keep_only_hashed: bool) -> None:
    project.settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = keep_only_hashed
    before = {p: p.read_bytes() for p in project.source.rglob("*") if p.is_file()}

    run_command("--noinput", "--force-sync")

    after = {p: p.read_bytes() for p in project.source.rglob("*") if p.is_file()}
    assert after == before
    hashed = project.manifest_paths()["css/theme.css"]
    assert project.read(f"{LOCATION}/{hashed}") == before[project.source / "css/theme.css"]


def test_staging_root_is_a_setting(project: Project, tmp_path: Path) -> None:
    project.settings.COLLECTSYNC_STAGING_ROOT = str(tmp_path / "fast-disk")
    (tmp_path / "fast-disk").mkdir()

    out, _ = run_command("--noinput", "--keep-local")

    kept = Path(re.findall(r"Staged files kept in '([^']+)'", out)[0])
    assert kept.parent == tmp_path / "fast-disk"


def test_a_static_file_named_like_the_index_is_refused(project: Project) -> None:
    (project.source / ".collectsync-index.json").write_text("{}")

    with pytest.raises(CommandError, match=r"A static file is named '\.collectsync-index\.json'"):
        run_command("--noinput", "--no-default-ignore")

    assert project.object_keys() == set()
