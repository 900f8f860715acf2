"""{% kept %} (joinrun/page_cache.py): the header, head, footer and run filters are kept per
language, signed in or not and page, and each reader still sees their own: the header of
the kind of reader they are, in their language, the page they are on marked current, their
own CSRF token and their own filter values."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import forget_kept, make_user

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
JSON_TOKEN = re.compile(r'"csrfToken": "([^"]+)"')  # the passkey scripts' (json_script)
SIGNED_IN_PAGES = ["runs:list", "clubs:list", "runs:mine", "accounts:profile", "runs:home"]
VISITOR_PAGES = ["runs:list", "clubs:list", "runs:home", "accounts:login"]


def header(page):
    return re.search(r"<header .*?</header>", page, re.S).group(0)


def current_links(page):
    return set(re.findall(r'<a href="([^"]+)" aria-current="page"', header(page)))


def without_tokens(html):
    html = TOKEN.sub('name="csrfmiddlewaretoken" value="…"', html)
    return JSON_TOKEN.sub('"csrfToken": "…"', html)


def fresh(client, path, **headers):
    """The page rendered with nothing kept, as it was before fragments were kept."""
    forget_kept()
    return client.get(path, **headers).content.decode()


@pytest.fixture
def readers(db):
    """(visitor, {language: signed-in client}) for English and Slovenian accounts."""
    signed_in = {}
    for language in ("en", "sl"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user(f"{language}@example.com", "Ana", language=language))
        signed_in[language] = client
    return Client(), signed_in


@pytest.mark.parametrize("language", ["en", "sl"])
def test_each_reader_gets_the_header_of_their_kind_language_and_page(readers, language):
    visitor, signed_in = readers
    accept = {"HTTP_ACCEPT_LANGUAGE": language}
    expected = {}
    for name in SIGNED_IN_PAGES:
        expected["in", name] = fresh(signed_in[language], reverse(name))
    for name in VISITOR_PAGES:
        expected["out", name] = fresh(visitor, reverse(name), **accept)
    forget_kept()
    # Signed-in and signed-out pages in turns, each twice: the second of each is served
    # from what the others left in the cache.
    for _ in range(2):
        for name in SIGNED_IN_PAGES + VISITOR_PAGES:
            for kind in ("in", "out"):
                if (kind, name) not in expected:
                    continue
                path = reverse(name)
                if kind == "in":
                    page = signed_in[language].get(path).content.decode()
                else:
                    # A cookie keeps the whole-page cache out of it: the page is rendered.
                    visitor.cookies["seen"] = "1"
                    page = visitor.get(path, **accept).content.decode()
                assert f'<html lang="{language}">' in page
                assert without_tokens(header(page)) == without_tokens(
                    header(expected[kind, name])), (kind, name)
                assert without_tokens(page) == without_tokens(expected[kind, name])
                in_nav = {reverse(other) for other in ("runs:list", "clubs:list",
                                                        "runs:mine", "accounts:profile")}
                assert current_links(page) == ({path} & in_nav), (kind, name)
                signed_in_header = 'action="{}"'.format(reverse("accounts:logout"))
                assert (signed_in_header in header(page)) == (kind == "in")
                assert (reverse("accounts:login") in header(page)) == (kind == "out")


def test_the_headers_differ_between_languages_and_kinds(readers):
    visitor, signed_in = readers
    headers = {header(signed_in[language].get("/runs/").content.decode())
               for language in ("en", "sl")}
    headers |= {header(visitor.get("/runs/", HTTP_ACCEPT_LANGUAGE=language).content.decode())
                for language in ("en", "sl")}
    assert len({without_tokens(html) for html in headers}) == 4


def test_a_kept_header_carries_each_request_its_own_working_token(readers):
    client = readers[1]["en"]
    first = client.get("/runs/").content.decode()
    second = client.get("/runs/").content.decode()  # the header is now a kept fragment
    tokens = TOKEN.findall(header(second))
    assert len(tokens) == 2 and "keptcsrf" not in second
    assert TOKEN.findall(header(first)) != tokens  # masked anew for each page
    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 200
    assert "Log out" not in header(response.content.decode())
    assert "_auth_user_id" not in client.session


def test_the_filters_show_each_reader_their_own_values(readers):
    client = readers[1]["en"]
    filtered = client.get("/runs/", {"pace": "5:30", "min_km": "5"}).content.decode()
    assert 'value="5:30"' in filtered and 'name="min_km" min="0" step="0.5" ' in filtered
    assert re.search(r'name="min_km"[^>]*value="5"', filtered)
    plain = client.get("/runs/").content.decode()
    assert 'value="5:30"' not in plain
    assert re.search(r'name="min_km"[^>]*value=""', plain)
    other = client.get("/runs/", {"pace": "6:00"}).content.decode()
    assert 'value="6:00"' in other and 'value="5:30"' not in other
