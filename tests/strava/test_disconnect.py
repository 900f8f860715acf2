"""Disconnecting Strava: /strava/disconnect/ and the Strava card on the profile page."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from runs.models import Participation
from strava.models import ActivityLink, StravaConnection
from tests.conftest import connect_strava
from tests.runs.conftest import make_run

DISCONNECT = "/strava/disconnect/"
PROFILE = "/accounts/profile/"


def ran_with_strava(runner, organiser, activity_id):
    """A past run ``runner`` went to (the organiser checked them in), with their Strava
    activity linked."""
    run = make_run(organiser, days=-1)
    participation = Participation.objects.create(
        run=run, runner=runner, status="going", attended_at=timezone.now(),
        attended_by="organiser")
    ActivityLink.objects.create(participation=participation, activity_id=activity_id)
    return participation


def test_disconnect_tells_strava_and_deletes_the_connection_and_links(
    runner_client, runner, organiser, outsider, fake_strava
):
    connection, athlete_id = connect_strava(runner, fake_strava)
    connect_strava(outsider, fake_strava, firstname="Cene")
    mine = ran_with_strava(runner, organiser, 12_000_000_001)
    theirs = ran_with_strava(outsider, organiser, 12_000_000_002)

    response = runner_client.post(DISCONNECT)

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert "Strava is disconnected" in runner_client.get(PROFILE).content.decode()
    # Strava's /oauth/revoke: the app's own credentials (HTTP Basic), the token in the
    # body, never in the address or a bearer header.
    (told,) = fake_strava.requests_to("/oauth/revoke")
    assert told.method == "POST"
    assert told.basic_auth == (fake_strava.client_id, fake_strava.client_secret)
    assert told.form["token"] == connection.refresh_token
    assert told.query == {} and "bearer" not in told.headers.get("authorization", "").lower()
    assert fake_strava.requests_to("/oauth/deauthorize") == []  # retired on 1 June 2027
    assert fake_strava.deauthorized == {athlete_id}
    assert not StravaConnection.objects.filter(user=runner).exists()
    assert not ActivityLink.objects.filter(participation__runner=runner).exists()
    mine.refresh_from_db()
    assert mine.attended_at is not None  # the organiser's check-in is join run's own
    # Another runner's Strava is none of this.
    assert StravaConnection.objects.filter(user=outsider).exists()
    assert ActivityLink.objects.filter(participation=theirs).exists()
    theirs.refresh_from_db()
    assert theirs.attended_at is not None


def test_disconnect_with_an_expired_access_token_still_tells_strava(
    runner_client, runner, fake_strava
):
    _connection, athlete_id = connect_strava(
        runner, fake_strava, expires_at=timezone.now() - timedelta(hours=1))
    assert runner_client.post(DISCONNECT).status_code == 302
    assert fake_strava.deauthorized == {athlete_id}
    assert not StravaConnection.objects.filter(user=runner).exists()


def test_disconnect_goes_back_to_next(runner_client, runner, fake_strava):
    connect_strava(runner, fake_strava)
    response = runner_client.post(DISCONNECT, {"next": "/runs/mine/"})
    assert response["Location"] == "/runs/mine/"


@pytest.mark.parametrize("fault", ["500", "429", "slow", "down"])
def test_strava_failing_to_answer_still_disconnects_here(
    runner_client, runner, organiser, fake_strava, settings, fault
):
    connect_strava(runner, fake_strava)
    ran_with_strava(runner, organiser, 12_000_000_001)
    if fault == "down":
        settings.STRAVA_OAUTH_URL = "http://127.0.0.1:9/oauth"  # nothing listens there
    else:
        fake_strava.fail(fault, on="revoke")

    response = runner_client.post(DISCONNECT)

    assert response.status_code == 302
    assert "Strava is disconnected" in runner_client.get(PROFILE).content.decode()
    assert not StravaConnection.objects.filter(user=runner).exists()
    assert not ActivityLink.objects.exists()


def test_disconnect_is_post_only(runner_client, runner, fake_strava):
    connect_strava(runner, fake_strava)
    assert runner_client.get(DISCONNECT).status_code == 405
    assert StravaConnection.objects.filter(user=runner).exists()
    assert fake_strava.requests_to("/oauth/revoke") == []


def test_disconnect_needs_a_signed_in_runner(client, runner, fake_strava):
    connect_strava(runner, fake_strava)
    response = client.post(DISCONNECT)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert StravaConnection.objects.filter(user=runner).exists()


def test_disconnect_without_a_csrf_token_is_forbidden(runner, fake_strava):
    connect_strava(runner, fake_strava)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(runner)
    assert browser.post(DISCONNECT).status_code == 403
    assert StravaConnection.objects.filter(user=runner).exists()
    assert fake_strava.requests_to("/oauth/revoke") == []


def test_profile_shows_strava_card_whose_disconnect_button_works(runner, fake_strava):
    connect_strava(runner, fake_strava)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(runner)
    page = browser.get(PROFILE).content.decode()
    form = re.search(r'action="/strava/disconnect/">(.*?)</form>', page).group(1)
    assert "Disconnect Strava" in form
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    response = browser.post(DISCONNECT, {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert not StravaConnection.objects.filter(user=runner).exists()
    page = browser.get(PROFILE).content.decode()
    assert "Disconnect Strava" not in page
    assert "Connect with Strava" in page


def without_email(user):
    user.email = None
    user.save()


def without_password(user):
    user.set_unusable_password()
    user.save()


@pytest.mark.parametrize("take_away", [without_email, without_password])
def test_account_that_signs_in_only_with_strava_cannot_disconnect_it(
    client, runner, organiser, fake_strava, take_away
):
    connect_strava(runner, fake_strava)
    participation = ran_with_strava(runner, organiser, 12_000_000_001)
    take_away(runner)
    client.force_login(runner)

    response = client.post(DISCONNECT)

    page = response.content.decode()
    assert response.status_code == 409
    assert "Add an email and a password first" in page
    assert 'href="/accounts/profile/"' in page
    assert 'href="/accounts/delete/"' in page
    assert StravaConnection.objects.filter(user=runner).exists()
    assert ActivityLink.objects.filter(participation=participation).exists()
    assert fake_strava.requests_to("/oauth/revoke") == []
    assert fake_strava.deauthorized == set()


def test_profile_of_strava_only_account_offers_no_disconnect_button(
    client, runner, fake_strava
):
    connect_strava(runner, fake_strava)
    without_password(runner)
    client.force_login(runner)
    page = client.get(PROFILE).content.decode()
    assert "Connected since" in page
    assert "Disconnect Strava" not in page
    assert "first add an email and a password above" in page


def test_disconnect_without_a_connection_says_so(runner_client, fake_strava):
    response = runner_client.post(DISCONNECT)
    assert response["Location"] == PROFILE
    assert "Strava is not connected" in runner_client.get(PROFILE).content.decode()
    assert fake_strava.requests == []
