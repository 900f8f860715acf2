"""Strava waits for a confirmed address, and a password reset cuts a Strava connection made
before the address was confirmed. From an audit: someone signs up with another person's
address, links their own Strava, and after the real owner resets the password still signs
in with Strava."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import unproven_connections
from accounts.models import User
from strava.models import StravaConnection
from tests.conftest import connect_strava, make_user
from tests.strava.test_connect import CONNECT, connect_through_strava, strava_answer

NEW_PASSWORD = "a-brand-new-password-7"


@pytest.fixture
def unconfirmed(db):
    return make_user("nina@example.com", "Nina", email_confirmed_at=None)


def test_an_unconfirmed_account_cannot_connect_strava(client, unconfirmed, fake_strava):
    client.force_login(unconfirmed)
    response = client.get(CONNECT, {"next": "/runs/"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Confirm your email first" in page
    assert "Send the link again" in page
    assert not StravaConnection.objects.exists()


def test_my_account_says_to_confirm_before_connecting(client, unconfirmed, fake_strava):
    client.force_login(unconfirmed)
    page = client.get("/accounts/profile/").content.decode()
    assert "Confirm your email first" in page
    assert 'href="/strava/connect/' not in page


def test_a_connect_begun_before_the_address_changed_is_refused_on_return(
    client, runner, fake_strava
):
    fake_strava.add_athlete("Squatter")
    client.force_login(runner)
    answer = strava_answer(client)
    User.objects.filter(pk=runner.pk).update(email_confirmed_at=None)
    response = client.get(answer)
    assert response.status_code == 403
    assert not StravaConnection.objects.exists()


def test_a_squatter_cannot_get_the_address_confirmed_by_its_owner(client, db, fake_strava):
    # The audit's case, from the start: a squatter signs up with Nina's address and logs
    # in; Nina gets the confirmation email she did not ask for and presses the button.
    client.post("/accounts/signup/", {"email": "nina@example.com", "display_name": "Squatter",
                                      "password": "squatters-password-9"})
    client.post("/accounts/login/", {"email": "nina@example.com",
                                     "password": "squatters-password-9"})
    (confirmation,) = mail.outbox
    link = re.search(r"\S+/accounts/confirm/\?token=\S+", confirmation.body)[0].removeprefix(
        settings.SITE_URL)
    nina = Client()
    page = nina.get(link).content.decode()
    assert "“Squatter”" in page and "Log in to confirm" in page
    path, _, token = link.partition("?token=")
    assert nina.post(path, {"token": token}).status_code == 403

    squatter = User.objects.get(email="nina@example.com")
    assert not squatter.email_confirmed
    fake_strava.add_athlete("Squatter")
    assert client.get(CONNECT, {"next": "/runs/"}).status_code == 403
    assert not StravaConnection.objects.exists()


def test_a_confirmed_account_connects(client, runner, fake_strava):
    fake_strava.add_athlete("Ana")
    client.force_login(runner)
    assert connect_through_strava(client).status_code == 302
    assert StravaConnection.objects.filter(user=runner).exists()


def test_strava_only_accounts_and_signing_in_with_strava_keep_working(client, fake_strava, db):
    athlete_id = fake_strava.add_athlete("Maja")
    assert connect_through_strava(client).status_code == 302  # signed out: signs up
    maja = User.objects.get(strava__athlete_id=athlete_id)
    assert maja.email is None
    # Signed in without an email, connecting again still works.
    assert client.get(CONNECT, {"next": "/runs/"}).status_code == 302


# The password reset

def reset_password(client, email):
    mail.outbox.clear()
    client.post("/accounts/password-reset/", {"email": email})
    (message,) = mail.outbox
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/password-reset/confirm/\S+)",
                     message.body)[1]
    page = client.get(link)
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    return message, page


def test_a_reset_removes_strava_connected_before_confirmation(client, unconfirmed, fake_strava):
    connection, athlete_id = connect_strava(unconfirmed, fake_strava)  # from before the rule

    message, page = reset_password(client, "nina@example.com")

    assert "Setting a new password disconnects it" in message.body
    assert "also disconnects the Strava account" in page.content.decode()
    assert not StravaConnection.objects.filter(user=unconfirmed).exists()
    assert athlete_id in fake_strava.deauthorized
    unconfirmed.refresh_from_db()
    assert unconfirmed.email_confirmed  # the reset link proved the mailbox

    # The squatter's "Sign in with Strava" no longer opens the account.
    squatter = Client()
    fake_strava.signed_in_athlete = athlete_id
    squatter.get(strava_answer(squatter))
    profile = squatter.get("/accounts/profile/")
    assert profile.status_code == 200
    assert "nina@example.com" not in profile.content.decode()
    assert User.objects.get(strava__athlete_id=athlete_id).email is None  # a new account


def test_a_reset_removes_strava_connected_before_the_confirmation_time(client, runner,
                                                                        fake_strava):
    # Accounts from before confirmations were confirmed by the migration, after their
    # connections were made.
    connection, _athlete_id = connect_strava(runner, fake_strava)
    StravaConnection.objects.filter(pk=connection.pk).update(
        connected_at=runner.email_confirmed_at - timedelta(days=30))
    message, _page = reset_password(client, "runner@example.com")
    assert "disconnects it" in message.body
    assert not StravaConnection.objects.filter(user=runner).exists()


def test_a_reset_keeps_strava_connected_after_confirmation(client, runner, fake_strava):
    runner.email_confirmed_at = timezone.now() - timedelta(days=1)
    runner.save()
    connection, athlete_id = connect_strava(runner, fake_strava)

    message, page = reset_password(client, "runner@example.com")

    assert "Strava" not in message.body
    assert "Strava" not in page.content.decode()
    assert StravaConnection.objects.filter(user=runner).exists()
    assert athlete_id not in fake_strava.deauthorized
    runner.refresh_from_db()
    assert runner.email_confirmed_at < timezone.now() - timedelta(hours=23)  # kept


def test_a_reset_confirms_an_unconfirmed_address(client, unconfirmed):
    reset_password(client, "nina@example.com")
    unconfirmed.refresh_from_db()
    assert unconfirmed.email_confirmed


def test_strava_down_does_not_stop_the_reset(client, unconfirmed, fake_strava):
    connect_strava(unconfirmed, fake_strava)
    fake_strava.fail("500", on="deauthorize", times=None)
    reset_password(client, "nina@example.com")
    unconfirmed.refresh_from_db()
    assert unconfirmed.check_password(NEW_PASSWORD)
    assert not StravaConnection.objects.filter(user=unconfirmed).exists()


def test_runs_registers_the_way_to_end_a_connection():
    from strava import services as strava

    assert strava.disconnect in unproven_connections._disconnectors
