"""The collectstatic command itself: its options, prompt and output, and Django's own command
wherever collectsync stands aside."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as DjangoCommand,
)
from django.core.management import call_command
from django.core.management.base import CommandError

from collectsync.management.commands.collectstatic import Command
from tests.support.project import (
    CSS_RULES,
    INDEX_KEY,
    LOCATION,
    MANIFEST_KEY,
    Project,
    RequestLog,
    run_command,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def test_prompt_names_the_remote_destination(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def answer_no(prompt: str) -> str:
        prompts.append(prompt)
        return "no"

    monkeypatch.setattr("builtins.input", answer_no)

    with pytest.raises(CommandError, match="Collecting static files cancelled"):
        run_command()

    assert f"    s3://{project.bucket}/static\n" in prompts[0]
    assert project.object_keys() == set()


def test_prompt_answered_yes_deploys(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")

    run_command()

    assert MANIFEST_KEY in project.object_keys()


def test_link_is_refused_for_a_remote_storage_as_django_refuses_it(project: Project) -> None:
    with pytest.raises(CommandError) as stock:
        call_command(DjangoCommand(), "--noinput", "--link", verbosity=0)

    with pytest.raises(CommandError) as ours:
        run_command("--noinput", "--link")

    assert str(ours.value) == str(stock.value) == "Can't symlink to a remote destination."
    assert project.object_keys() == set()


def prompts_of(command: DjangoCommand, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """The confirmation ``command`` asks for, answered with no."""
    prompts: list[str] = []

    def answer_no(prompt: str) -> str:
        prompts.append(prompt)
        return "no"

    monkeypatch.setattr("builtins.input", answer_no)
    with pytest.raises(CommandError, match=r"^Collecting static files cancelled\.$"):
        call_command(command, *args, stdout=io.StringIO(), stderr=io.StringIO())
    return prompts[0]


@pytest.mark.parametrize("options", [[], ["--clear"], ["--dry-run", "--clear"]])
def test_the_confirmation_is_djangos_with_the_destination_named(
    project: Project, monkeypatch: pytest.MonkeyPatch, options: list[str]
) -> None:
    stock = prompts_of(DjangoCommand(), monkeypatch, *options)
    ours = prompts_of(Command(), monkeypatch, *options)

    destination = f"s3://{project.bucket}/static"
    # Django can't name a remote destination; collectsync does, in the words Django uses for
    # a local one, and adds one sentence after Django's warning about --clear.
    named = stock.replace(
        "as specified in your settings.\n\n",
        f"as specified in your settings:\n\n    {destination}\n\n",
    )
    addition = "(Only those this deploy doesn't have, and only once its files are live.)\n"
    assert ours == (
        named
        if "--clear" not in options
        else named.replace(
            "This will DELETE ALL FILES in this location!\n",
            "This will DELETE ALL FILES in this location!\n" + addition,
        )
    )
    assert project.object_keys() == set()


@pytest.mark.parametrize("workers", ["-2", "0"])
def test_workers_must_be_positive(project: Project, workers: str) -> None:
    with pytest.raises(CommandError, match=f"--workers must be at least 1, not {workers}"):
        run_command("--noinput", "--workers", workers)
    assert project.object_keys() == set()


def test_ignore_patterns_are_respected(project: Project) -> None:
    run_command("--noinput", "-i", "*.svg", "--workers", "2")

    assert not [key for key in project.object_keys() if ".svg" in key]
    assert f"{LOCATION}/js/app.js" in project.object_keys()


def test_no_default_ignore_collects_dotfiles(project: Project) -> None:
    (project.source / ".well-known.txt").write_text("hidden")

    run_command("--noinput")
    assert f"{LOCATION}/.well-known.txt" not in project.object_keys()

    run_command("--noinput", "--no-default-ignore")
    assert f"{LOCATION}/.well-known.txt" in project.object_keys()


def test_verbosity_two_lists_each_uploaded_key(project: Project) -> None:
    out, _ = run_command("--noinput", verbosity=2)

    assert "Uploaded 'css/theme.css'\n" in out
    assert "Uploaded 'staticfiles.json'\n" in out


def test_verbosity_zero_prints_nothing(project: Project) -> None:
    out, err = run_command("--noinput", verbosity=0)

    assert (out, err) == ("", "")
    assert MANIFEST_KEY in project.object_keys()
    (project.source / "css/theme.css").write_text("/* changed */\n" + CSS_RULES)
    for options in (["--dry-run"], [], [], ["--dry-run"], ["--clear"], ["--prune"]):
        assert run_command("--noinput", *options, verbosity=0) == ("", "")


def test_a_local_storage_behaves_exactly_like_django(
    settings: SettingsWrapper,
    static_source: Path,
    tmp_path: Path,
    request_log: RequestLog,
) -> None:
    settings.STATICFILES_DIRS = [str(static_source)]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    outputs, trees = [], []
    for name, command in [("ours", Command()), ("django", DjangoCommand())]:
        settings.STATIC_ROOT = str(tmp_path / "root")
        stdout = io.StringIO()
        call_command(command, interactive=False, stdout=stdout, verbosity=2)
        root = tmp_path / name
        (tmp_path / "root").rename(root)
        outputs.append(stdout.getvalue().replace(str(tmp_path / "root"), "ROOT"))
        trees.append(
            {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        )

    assert outputs[0] == outputs[1]
    assert trees[0] == trees[1]
    assert request_log.requests == []


def test_disable_collectsync_runs_djangos_command(
    project: Project, settings: SettingsWrapper, tmp_path: Path
) -> None:
    out, _ = run_command("--noinput", "--disable-collectsync")

    assert "static files copied" in out
    assert INDEX_KEY not in project.object_keys()


def test_json_report_to_an_unwritable_path_is_a_clear_error(
    project: Project, tmp_path: Path
) -> None:
    target = tmp_path / "missing-dir" / "report.json"

    with pytest.raises(
        CommandError,
        match=r"^The JSON report could not be written to '.*report\.json' \(No such file",
    ):
        run_command("--noinput", "--json-report", str(target))


def test_collectsync_enabled_false_runs_djangos_command(project: Project) -> None:
    project.settings.COLLECTSYNC_ENABLED = False

    out, _ = run_command("--noinput")

    assert "static files copied" in out
    assert INDEX_KEY not in project.object_keys()


def test_an_unimportable_staticfiles_storage_is_one_sentence(settings: SettingsWrapper) -> None:
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "missing_pkg.Storage"}}

    with pytest.raises(
        CommandError, match=r"^The staticfiles storage 'missing_pkg\.Storage' could"
    ):
        run_command("--noinput")


def test_help_documents_every_option() -> None:
    parser = Command().create_parser("manage.py", "collectstatic")
    documented = {
        option: action.help
        for action in parser._actions
        for option in action.option_strings
        if action.help
    }

    for option in (
        "--force-sync",
        "--keep-local",
        "--workers",
        "--verify",
        "--json-report",
        "--prune",
        "--clear",
        "--dry-run",
        "--disable-collectsync",
    ):
        assert documented.get(option), option
    assert "COLLECTSYNC_KEEP_RELEASES" in (documented["--prune"] or "")
    assert "upload first, then delete" in (documented["--clear"] or "")
