"""Keys inside a remote location."""

from __future__ import annotations

import pytest

from collectsync.errors import RemoteError
from collectsync.remote.base import join_key


@pytest.mark.parametrize(
    ("location", "name", "key"),
    [
        ("static", "css/a.css", "static/css/a.css"),
        ("/static/", "a b#?%é.css", "static/a b#?%é.css"),
        ("", "a.css", "a.css"),
    ],
)
def test_keys_are_joined_under_the_location(location: str, name: str, key: str) -> None:
    assert join_key(location, name) == key


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "a/../../b", "a//b", "./a", ""])
def test_names_that_would_leave_the_location_are_refused(name: str) -> None:
    with pytest.raises(RemoteError, match="would leave the storage's location"):
        join_key("static", name)
