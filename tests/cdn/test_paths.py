"""The URL paths a release changed, and the wildcard past CloudFront's limit."""

from __future__ import annotations

from collectsync.cdn.cloudfront import PATHS_PER_INVALIDATION
from collectsync.cdn.paths import covering, is_hashed, url_paths


def test_names_become_paths_under_static_urls_path_quoted() -> None:
    names = ["robots.txt", "css/a b.css", "js/x*.js"]

    assert url_paths(names, "https://cdn.example.com/assets/") == [
        "/assets/css/a%20b.css",
        "/assets/js/x%2A.js",
        "/assets/robots.txt",
    ]
    assert url_paths(["robots.txt"], "/static") == ["/static/robots.txt"]


def test_hashed_names_and_their_variants_are_told_apart() -> None:
    hashed = ["app.0123456789ab.css", "css/app.0123456789ab.css.gz", "LICENSE.0123456789ab"]
    unhashed = ["app.css", "css/app.css.br", "robots.txt", "staticfiles.json", "v1.2.3.js"]

    assert [is_hashed(name) for name in hashed] == [True] * 3
    assert [is_hashed(name) for name in unhashed] == [False] * 5


def test_within_the_limit_every_path_is_sent_as_it_is() -> None:
    paths = [f"/static/css/{i}.css" for i in range(PATHS_PER_INVALIDATION)]

    assert covering(paths, PATHS_PER_INVALIDATION) == sorted(paths)


def test_past_the_limit_one_wildcard_covers_the_folder_that_covers_least() -> None:
    admin = [f"/static/admin/css/{i}.css" for i in range(2000)]
    admin_js = [f"/static/admin/js/{i}.js" for i in range(1200)]
    app = [f"/static/app/{i}.js" for i in range(300)]

    sent = covering(admin + admin_js + app, PATHS_PER_INVALIDATION)

    # Collapsing admin/js/ leaves 2,301; admin/css/ would leave 1,501 but cover more.
    assert [path for path in sent if "*" in path] == ["/static/admin/js/*"]
    assert set(sent) == {*admin, *app, "/static/admin/js/*"}
    assert len(sent) <= PATHS_PER_INVALIDATION
