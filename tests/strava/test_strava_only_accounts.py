"""Accounts made by "Sign in with Strava": no email and no password until the runner adds
them on the profile page, after which they can log in with them like anyone else."""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from strava.models import StravaConnection
from tests.accounts.test_profile import confirm_link, press_confirm
from tests.strava.test_connect import connect_through_strava

PROFILE = "/accounts/profile/"
NEW_PASSWORD = "a-first-password-of-mine-7"


@pytest.fixture
def strava_only(client, fake_strava, db):
    """A browser signed in with Strava as a new athlete, Maja: (client, her account)."""
    athlete_id = fake_strava.add_athlete("Maja", "Novak")
    assert connect_through_strava(client, "/runs/").status_code == 302
    return client, User.objects.get(strava__athlete_id=athlete_id)


def add_email(client, email="maja@example.com"):
    return client.post(PROFILE, {"form": "email", "email": email})


def add_and_confirm_email(client, email="maja@example.com"):
    mail.outbox.clear()
    assert add_email(client, email).status_code == 302
    (message,) = mail.outbox
    assert press_confirm(client, confirm_link(message)).status_code == 302


def set_first_password(client, password=NEW_PASSWORD):
    return client.post(PROFILE, {"form": "password", "new_password1": password,
                                 "new_password2": password})


def test_profile_asks_no_current_password_of_a_strava_only_account(strava_only):
    client, _user = strava_only
    page = client.get(PROFILE).content.decode()
    assert "Signed in as Maja." in page
    assert 'name="email"' in page
    assert 'name="new_password1"' in page
    assert 'name="current_password"' not in page
    assert 'name="old_password"' not in page


def test_strava_only_account_adds_an_email_without_a_password(strava_only):
    client, user = strava_only
    response = add_email(client, "Maja@Example.com")
    assert response.status_code == 302
    assert "We sent a link to maja@example.com" in client.get(PROFILE).content.decode()
    user.refresh_from_db()
    assert user.email is None  # until the link is confirmed
    (message,) = mail.outbox  # nobody else to tell: there was no address before
    assert message.to == ["maja@example.com"]

    press_confirm(client, confirm_link(message))
    user.refresh_from_db()
    assert user.email == "maja@example.com"
    assert user.email_confirmed
    assert not user.has_usable_password()


def test_strava_only_account_cannot_take_an_email_in_use(strava_only, runner):
    client, user = strava_only
    response = add_email(client, "RUNNER@example.com")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email is None
    (note,) = mail.outbox
    assert note.to == ["runner@example.com"]
    assert "already belongs to your account" in note.body


def test_strava_only_account_sets_a_first_password_and_stays_signed_in(strava_only):
    client, user = strava_only
    response = set_first_password(client)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(PROFILE).status_code == 200


def test_first_password_must_be_typed_twice_alike(strava_only):
    client, user = strava_only
    response = client.post(PROFILE, {"form": "password", "new_password1": NEW_PASSWORD,
                                     "new_password2": NEW_PASSWORD + "x"})
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_after_adding_email_and_password_the_runner_logs_in_with_them(strava_only):
    client, _user = strava_only
    add_and_confirm_email(client)
    assert set_first_password(client).status_code == 302

    browser = Client()
    response = browser.post("/accounts/login/", {"email": "maja@example.com",
                                                 "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Signed in as Maja." in browser.get(PROFILE).content.decode()


def test_after_adding_email_and_password_the_runner_may_disconnect_strava(
    strava_only, fake_strava
):
    client, user = strava_only
    assert client.post("/strava/disconnect/").status_code == 409
    add_and_confirm_email(client)
    set_first_password(client)

    response = client.post("/strava/disconnect/")

    assert response.status_code == 302
    assert not StravaConnection.objects.filter(user=user).exists()
    assert len(fake_strava.deauthorized) == 1

