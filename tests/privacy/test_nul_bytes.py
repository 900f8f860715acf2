"""Audit finding 5: PostgreSQL refuses strings with a NUL byte, so a NUL in a data-request
reference or in the session cookie reached the database and made a 500 (on every page, for
the cookie). References are matched by their shape in the URL, and a session key that is
not one we could have made is ignored before it reaches the database."""

import pytest
from django.conf import settings

from accounts.sessions import SessionStore
from tests.served import signed_in_session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("suffix", ["", "verify/", "export/"])
@pytest.mark.parametrize("reference", ["%00", "JR-2026-0001%00", "a%00b", "JR-2026-x"])
def test_a_reference_that_is_not_one_is_not_found(client, reference, suffix):
    response = client.get(f"/privacy/requests/{reference}/{suffix}?key=x&token=y")
    assert response.status_code == 404


@pytest.mark.parametrize("cookie", ["\x00", "abc\x00defghijklmnop", "a" * 31 + "\x00",
                                    "ABCDEFGH12345678", "x" * 200, "abcd-efgh-ijkl-mnop"])
def test_a_malformed_session_cookie_is_ignored_on_every_page(client, cookie):
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    for page in ("/", "/runs/", "/privacy/", "/accounts/login/"):
        response = client.get(page)
        assert response.status_code == 200, page


def test_a_malformed_session_key_is_not_looked_up():
    assert SessionStore("abc\x00defghijklmnop").session_key is None


def test_a_real_session_key_still_signs_in(client, runner):
    client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session(runner)
    response = client.get("/accounts/profile/")
    assert response.status_code == 200


@pytest.mark.parametrize("path", [
    "/privacy/requests/JR-2026-0001/?key=%00",
    "/privacy/requests/JR-2026-0001/verify/?token=%00",
    "/privacy/requests/JR-2026-0001/export/?key=a%00b",
])
def test_a_nul_in_a_private_links_query_is_a_client_error(client, path):
    assert 400 <= client.get(path).status_code < 500
