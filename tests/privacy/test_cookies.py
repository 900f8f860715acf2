import pytest

from tests.conftest import PASSWORD


@pytest.mark.parametrize("path", ["/", "/runs/", "/privacy/", "/healthz", "/no-such-page/"])
def test_anonymous_reader_of_a_page_without_a_form_gets_no_cookie(client, db, path):
    response = client.get(path)
    assert not response.cookies
    assert not response.has_header("Set-Cookie")


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/",
                                  "/accounts/password-reset/"])
def test_pages_with_a_form_set_only_the_csrf_cookie(client, db, path):
    response = client.get(path)
    assert set(response.cookies) == {"csrftoken"}
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


def test_failed_login_sets_no_session_cookie(client, runner):
    response = client.post("/accounts/login/", {"email": "runner@example.com", "password": "x"})
    assert "sessionid" not in response.cookies


def test_session_cookie_only_after_signing_in(client, runner):
    response = client.post(
        "/accounts/login/", {"email": "runner@example.com", "password": PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_logging_out_removes_the_session_cookie(runner_client):
    response = runner_client.post("/accounts/logout/")
    cookie = response.cookies["sessionid"]
    assert cookie.value == ""
    assert cookie["max-age"] == 0  # the browser drops it at once
