"""Stored public pages are answered early (joinrun.page_cache.SignedOutPages), before
sessions, CSRF and authentication: the answer must be the one the whole stack gives, and
never reach anyone but a visitor without cookies."""

import gzip
import logging

import pytest
from django.test import Client

from clubs.models import Club
from tests.clubs.conftest import make_club_run
from tests.runs.conftest import make_run

EARLY = "joinrun.page_cache.SignedOutPages"


@pytest.fixture
def pages(organiser):
    club = Club.objects.create(name="Tivoli Trotters", slug="tivoli-trotters", place="Ljubljana")
    run = make_run(organiser, capacity=2)
    make_club_run(club, organiser, title="Hill repeats")
    return ["/", "/runs/", f"/runs/{run.pk}/", f"/clubs/{club.slug}/", "/runs/?min_km=nope"]


def whole_stack(settings, path, **headers):
    """``path`` answered by every middleware, with no page stored or answered early."""
    everything = settings.MIDDLEWARE
    settings.MIDDLEWARE = [name for name in everything if name != EARLY]
    try:
        return Client().get(path, **headers)
    finally:
        settings.MIDDLEWARE = everything


def stored(path, django_assert_num_queries, **headers):
    """``path`` as the second visitor gets it: from the page cache, without a query."""
    first = Client().get(path, **headers)
    with django_assert_num_queries(0):
        again = Client().get(path, **headers)
    assert again.content == first.content
    return again


def test_the_early_middleware_sits_before_sessions(settings):
    order = settings.MIDDLEWARE
    assert order.index(EARLY) > order.index("privacy.middleware.SecurityHeadersMiddleware")
    assert order.index(EARLY) < order.index(
        "django.contrib.sessions.middleware.SessionMiddleware")


@pytest.mark.parametrize("language", ["en", "sl", "sl-SI,sl;q=0.9", "de", "en;q=0.5, sl;q=0.8"])
def test_a_stored_answer_is_the_whole_stacks_answer(
    settings, pages, django_assert_num_queries, language
):
    for path in pages:
        full = whole_stack(settings, path, HTTP_ACCEPT_LANGUAGE=language)
        early = stored(path, django_assert_num_queries, HTTP_ACCEPT_LANGUAGE=language)
        assert early.status_code == full.status_code
        assert early.content == full.content
        expected = dict(full.headers)
        # The one difference: a stored page may come compressed, so it varies by that.
        expected["Vary"] += ", Accept-Encoding"
        assert dict(early.headers) == expected
        assert "Accept-Language" in early["Vary"] and "Cookie" in early["Vary"]
        for header in ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options",
                       "Content-Language", "Referrer-Policy", "X-Content-Type-Options"):
            assert early[header] == full[header]
        assert not early.cookies


def test_each_language_gets_its_own_stored_page(pages, django_assert_num_queries):
    slovenian = stored("/runs/", django_assert_num_queries, HTTP_ACCEPT_LANGUAGE="sl")
    english = Client().get("/runs/", HTTP_ACCEPT_LANGUAGE="en")
    nothing_said = Client().get("/runs/")
    assert slovenian["Content-Language"] == "sl" and '<html lang="sl">' in slovenian.text
    assert english["Content-Language"] == "en" and '<html lang="en">' in english.text
    assert nothing_said["Content-Language"] == "en"


def test_a_language_cookie_still_wins_as_the_whole_stack_lets_it(pages, settings):
    Client().get("/runs/", HTTP_ACCEPT_LANGUAGE="en")  # stores the English page
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sl"
    page = client.get("/runs/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "sl"


def test_a_stored_page_comes_compressed_to_browsers_that_ask(pages, django_assert_num_queries):
    plain = stored("/runs/", django_assert_num_queries)
    with django_assert_num_queries(0):
        packed = Client().get("/runs/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content) / 2
    assert "Content-Encoding" not in plain
    assert "Content-Encoding" not in Client().get("/runs/", HTTP_ACCEPT_ENCODING="identity")


def test_a_signed_in_runner_never_gets_a_visitors_page(pages, runner, organiser):
    run = make_run(organiser, title="Sunrise loop")
    run.join(runner)
    visitor = Client().get("/runs/", HTTP_ACCEPT_ENCODING="gzip")
    signed_in = Client()
    signed_in.force_login(runner)
    page = signed_in.get("/runs/", HTTP_ACCEPT_ENCODING="gzip")
    assert "Log out" in page.text and "csrfmiddlewaretoken" in page.text
    assert "You're going" in page.text
    # Pages with a CSRF token and a person's places are never compressed (BREACH).
    assert "Content-Encoding" not in page
    assert b"Log out" not in gzip.decompress(visitor.content)
    again = Client().get("/runs/")
    assert "Log out" not in again.text and "You're going" not in again.text
    assert "csrfmiddlewaretoken" not in again.text


def test_a_visitors_page_carries_no_token_and_sets_no_cookie(pages, django_assert_num_queries):
    for path in pages:
        page = stored(path, django_assert_num_queries)
        assert not page.cookies
        assert "csrfmiddlewaretoken" not in page.text
        assert "Set-Cookie" not in page


def test_a_stranger_host_gets_400_even_for_a_stored_page(pages, django_assert_num_queries):
    stored("/runs/", django_assert_num_queries)
    assert Client().get("/runs/", HTTP_HOST="evil.example").status_code == 400


def test_a_post_is_never_answered_with_a_stored_page(pages, django_assert_num_queries):
    stored("/runs/", django_assert_num_queries)
    response = Client(enforce_csrf_checks=True).post("/runs/")
    assert response.status_code == 403  # the CSRF check, as without a stored page


def test_stored_answers_are_logged_like_any(pages, django_assert_num_queries, caplog):
    stored("/runs/?min_km=5", django_assert_num_queries)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="joinrun.access"):
        Client().get("/runs/?min_km=5")
    (line,) = [record.getMessage() for record in caplog.records]
    assert ' GET "/runs/" 200 ' in line
    assert "min_km" not in line  # never the query string
