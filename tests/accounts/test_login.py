from datetime import timedelta

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from accounts.models import Session
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def log_in(client, email="runner@example.com", password=PASSWORD, **extra):
    return client.post(LOGIN, {"email": email, "password": password, **extra})


def test_login_page_has_remember_me(client, db):
    page = client.get(LOGIN).content.decode()
    assert ">Email</label>" in page
    assert "Remember me" in page


def test_remember_me_keeps_session_for_30_days(client, runner):
    response = log_in(client, remember_me="on")
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == 30 * 24 * 60 * 60
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    remaining = Session.objects.get(user=runner).expire_date - timezone.now()
    assert timedelta(days=29, hours=23) < remaining <= timedelta(days=30)


def test_without_remember_me_the_cookie_ends_with_the_browser(client, runner):
    response = log_in(client)
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert client.session.get_expire_at_browser_close()


def test_email_is_matched_in_any_case(client, runner):
    assert log_in(client, email="Runner@EXAMPLE.com").status_code == 302


def test_login_rotates_the_session_key(client, runner):
    planted = client.session
    planted["note"] = "set before login"
    planted.save()
    before = planted.session_key
    log_in(client)
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_session_row_knows_its_user(client, runner):
    log_in(client)
    assert Session.objects.get(session_key=client.session.session_key).user == runner


def test_wrong_password_is_refused_without_session(client, runner):
    response = log_in(client, password="wrong-password")
    assert response.status_code == 400
    assert "do not match an account" in response.content.decode()
    assert "sessionid" not in response.cookies


def test_inactive_account_cannot_log_in(client, runner):
    runner.is_active = False
    runner.save()
    assert log_in(client).status_code == 400


def test_login_returns_to_next_page_on_this_site_only(client, runner):
    assert log_in(client, next="/runs/")["Location"] == "/runs/"
    client.post("/accounts/logout/")
    assert log_in(client, next="https://evil.example/")["Location"] == "/"


def test_pages_that_need_an_account_send_visitors_to_log_in(client, db):
    response = client.get("/accounts/profile/")
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_logout_is_post_only(runner_client):
    assert runner_client.get("/accounts/logout/").status_code == 405
    assert runner_client.get("/accounts/profile/").status_code == 200


def test_logout_ends_the_session(client, runner):
    log_in(client)
    key = client.session.session_key
    response = client.post("/accounts/logout/")
    assert "You are logged out" in response.content.decode()
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/accounts/profile/").status_code == 302


def test_header_shows_my_account_and_log_out_when_signed_in(runner_client):
    page = runner_client.get("/").content.decode()
    assert "My account" in page
    assert "Log out" in page
    assert "Sign in" not in page


def test_session_store_survives_anonymous_sessions(db):
    # An anonymous session (none is created today, but Django may) has no user.
    from accounts.sessions import SessionStore

    store = SessionStore()
    store["x"] = 1
    store.save()
    assert isinstance(store, SessionBase)
    assert Session.objects.get(session_key=store.session_key).user is None


def test_next_that_is_not_a_path_is_ignored_not_an_error(client, runner):
    for bad_next in ("foo", "%ff", "runs/", "//evil.example/", "javascript:alert(1)"):
        assert log_in(client, next=bad_next)["Location"] == "/", bad_next
        assert client.get(LOGIN, {"next": bad_next})["Location"] == "/"
        client.post("/accounts/logout/")


def test_blank_email_never_matches_an_account_without_one(client, db):
    from accounts.models import User

    User.objects.create_user(None, None, display_name="Strava only")
    User.objects.create_user(None, None, display_name="Strava too")
    for email in ("", " "):
        with pytest.raises(User.DoesNotExist):
            User.objects.get_by_natural_key(email)


def test_the_admin_login_form_is_our_login_page(client, runner):
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert client.get(response["Location"])["Location"] == "/accounts/login/?next=/admin/"
    # Posting credentials to the admin's own form signs nobody in.
    client.post("/admin/login/", {"username": "runner@example.com", "password": PASSWORD})
    assert client.get("/accounts/profile/").status_code == 302


def test_signed_in_runner_is_refused_the_admin(runner_client):
    assert runner_client.get("/admin/login/?next=/admin/").status_code == 403


def test_staff_reach_the_admin_through_our_login(client, db):
    from accounts.models import User

    User.objects.create_superuser("staff@example.com", PASSWORD)
    response = log_in(client, "staff@example.com", next="/admin/")
    # On to the second factor's setup first (tests/accounts/test_second_factor.py), and
    # from there back to the admin.
    assert response["Location"] == "/accounts/two-factor/setup/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302
    assert response.cookies["sessionid"]["max-age"] == ""  # no "Remember me": browser session
