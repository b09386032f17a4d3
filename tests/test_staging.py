from __future__ import annotations

import pytest

from collectsync.staging import explain_failure


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            ValueError("The file 'img/a b.png' could not be found with <storage>."),
            "Staging failed: 'img/a b.png' is referenced but could not be found; fix the "
            "reference or add the file. Nothing was uploaded.",
        ),
        (
            PermissionError(13, "Permission denied", "/src/css/locked.css"),
            "Staging failed: could not read '/src/css/locked.css' (Permission denied). "
            "Nothing was uploaded.",
        ),
        (
            ValueError("Something else\nwith details"),
            "Staging failed: Something else. Nothing was uploaded.",
        ),
        (ValueError(), "Staging failed: ValueError(). Nothing was uploaded."),
    ],
)
def test_staging_failures_are_one_sentence(error: ValueError | OSError, message: str) -> None:
    assert explain_failure(error) == message
