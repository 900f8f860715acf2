"""Connecting Strava and signing in with it: /strava/connect/ and /strava/callback/, walked
through the fake Strava on a loopback port."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.conf import settings
from django.db import connection as db
from django.test import Client
from django.utils import timezone

from accounts.models import User
from runs.models import Participation
from strava import services as strava
from strava.models import StravaConnection
from tests.conftest import connect_strava
from tests.runs.conftest import make_run

pytestmark = pytest.mark.django_db

CONNECT = "/strava/connect/"
CALLBACK = "/strava/callback/"


def strava_answer(client, next_path="/runs/"):
    """The browser goes to /strava/connect/, on to Strava's consent page, and back: the
    path and query Strava sends it back to (not fetched yet)."""
    response = client.get(CONNECT, {"next": next_path})
    assert response.status_code == 302
    at_strava = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert at_strava.status_code == 302, at_strava.text
    back = urlsplit(at_strava.headers["Location"])
    return f"{back.path}?{back.query}"


def connect_through_strava(client, next_path="/runs/"):
    """The whole OAuth dance in one browser: the response of the callback."""
    return client.get(strava_answer(client, next_path))


def authorize_query(response):
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    return f"{url.scheme}://{url.netloc}{url.path}", parse_qs(url.query)


def stored_rows():
    """Every value in the account and Strava tables, as one text."""
    rows = list(User.objects.values()) + list(StravaConnection.objects.values())
    return repr(rows)


# /strava/connect/

def test_connect_sends_the_browser_to_strava_with_what_strava_needs(client, fake_strava):
    url, query = authorize_query(client.get(CONNECT, {"next": "/runs/"}))
    assert url == f"{fake_strava.oauth_url}/authorize"
    assert query["client_id"] == [fake_strava.client_id]
    assert query["redirect_uri"] == [settings.SITE_URL + CALLBACK]
    assert query["response_type"] == ["code"]
    assert query["approval_prompt"] == ["auto"]
    assert query["scope"] == ["read,activity:read"]
    assert len(query["state"][0]) >= 32


def test_connect_with_force_asks_strava_to_show_consent_again(client, fake_strava):
    _url, query = authorize_query(client.get(CONNECT, {"next": "/runs/", "force": "1"}))
    assert query["approval_prompt"] == ["force"]


def test_each_connect_gets_a_new_state(client, fake_strava):
    _url, first = authorize_query(client.get(CONNECT))
    _url, second = authorize_query(client.get(CONNECT))
    assert first["state"] != second["state"]


def test_strava_answer_is_accepted_only_in_the_browser_that_started(client, fake_strava):
    fake_strava.add_athlete("Maja")
    answer = strava_answer(client)
    other_browser = Client()
    response = other_browser.get(answer)
    assert response.status_code == 400
    assert "This Strava link is not valid" in response.content.decode()
    assert fake_strava.requests_to("/oauth/token") == []
    assert not StravaConnection.objects.exists()


def test_without_strava_configured_there_is_no_connect_and_no_button(client, settings):
    settings.STRAVA_CLIENT_ID = ""
    assert client.get(CONNECT).status_code == 404
    assert client.get(CALLBACK, {"state": "x", "code": "y"}).status_code == 404
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Strava" not in page
    assert CONNECT not in page


def test_login_page_offers_sign_in_with_strava_when_configured(client, fake_strava):
    page = client.get("/accounts/login/?next=/runs/").content.decode()
    assert "Sign in with Strava" in page
    assert 'href="/strava/connect/?next=/runs/"' in page


# /strava/callback/: state, refusals, missing scope

def test_callback_without_state_is_refused(runner_client, fake_strava):
    fake_strava.add_athlete("Ana")
    answer = urlsplit(strava_answer(runner_client))
    query = {k: v for k, v in parse_qs(answer.query).items() if k != "state"}
    response = runner_client.get(CALLBACK, {k: v[0] for k, v in query.items()})
    assert response.status_code == 400
    assert "This Strava link is not valid" in response.content.decode()
    assert fake_strava.requests_to("/oauth/token") == []
    assert not StravaConnection.objects.exists()


def test_callback_with_a_wrong_state_is_refused(runner_client, fake_strava):
    fake_strava.add_athlete("Ana")
    answer = strava_answer(runner_client)
    forged = re.sub(r"state=[^&]+", "state=forged-state", answer)
    response = runner_client.get(forged)
    assert response.status_code == 400
    assert "This Strava link is not valid" in response.content.decode()
    assert fake_strava.requests_to("/oauth/token") == []
    assert not StravaConnection.objects.exists()


def test_callback_works_once_and_exchanges_the_code_once(runner_client, runner, fake_strava):
    fake_strava.add_athlete("Ana")
    answer = strava_answer(runner_client)
    assert runner_client.get(answer).status_code == 302
    replay = runner_client.get(answer)
    assert replay.status_code == 400
    assert "This Strava link is not valid" in replay.content.decode()
    assert len(fake_strava.requests_to("/oauth/token")) == 1
    assert StravaConnection.objects.filter(user=runner).count() == 1


def test_refusing_on_strava_goes_back_and_stores_nothing(runner_client, fake_strava):
    fake_strava.add_athlete("Ana")
    fake_strava.deny = True
    response = connect_through_strava(runner_client, "/runs/")
    assert response.status_code == 302
    assert response["Location"] == "/runs/"
    assert "Strava was not connected" in runner_client.get("/runs/").content.decode()
    assert fake_strava.requests_to("/oauth/token") == []
    assert not StravaConnection.objects.exists()


def test_unticked_activity_permission_explains_and_offers_to_ask_again(client, fake_strava):
    fake_strava.add_athlete("Maja")
    fake_strava.granted_scope = "read"
    users_before = User.objects.count()
    response = connect_through_strava(client, "/runs/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Strava was not connected" in page
    assert "read your activities was not ticked" in page
    retry = re.search(r'href="([^"]+)">Try again with Strava', page).group(1)
    _url, query = authorize_query(client.get(retry.replace("&amp;", "&")))
    assert query["approval_prompt"] == ["force"]
    assert fake_strava.requests_to("/oauth/token") == []
    assert not StravaConnection.objects.exists()
    assert User.objects.count() == users_before


# What is kept

def test_connecting_keeps_athlete_scope_encrypted_tokens_and_expiry_only(
    runner_client, runner, fake_strava
):
    athlete_id = fake_strava.add_athlete("Ana", "Novak")
    before = timezone.now()
    response = connect_through_strava(runner_client)
    assert response.status_code == 302
    connection = StravaConnection.objects.get(user=runner)
    assert connection.athlete_id == athlete_id
    assert connection.scope == "read,activity:read"
    assert before + timedelta(hours=5, minutes=59) < connection.expires_at
    assert connection.expires_at < timezone.now() + timedelta(hours=6, minutes=1)
    # The tokens work at Strava...
    assert fake_strava.refresh_token_is_valid(connection.refresh_token)
    athlete = requests.get(f"{fake_strava.api_url}/athlete", timeout=5,
                           headers={"Authorization": f"Bearer {connection.access_token}"})
    assert athlete.status_code == 200
    # ...and are not readable in the database.
    with db.cursor() as cursor:
        cursor.execute(f"SELECT access_token, refresh_token FROM "
                       f"{StravaConnection._meta.db_table}")
        (raw_access, raw_refresh), = cursor.fetchall()
    assert connection.access_token not in raw_access
    assert connection.refresh_token not in raw_refresh
    assert "Novak" not in stored_rows()
    assert "Ljubljana" not in stored_rows()  # the athlete's city


# Signed in: connect this account

def test_signed_in_runner_connects_strava_to_their_account(runner_client, runner, fake_strava):
    athlete_id = fake_strava.add_athlete("Ana")
    response = connect_through_strava(runner_client, "/runs/mine/")
    assert response.status_code == 302
    assert response["Location"] == "/runs/mine/"
    assert "Strava is connected" in runner_client.get("/runs/mine/").content.decode()
    assert StravaConnection.objects.get(user=runner).athlete_id == athlete_id
    assert User.objects.count() == 1


def test_athlete_of_another_account_is_refused_and_that_account_untouched(
    runner_client, runner, outsider, fake_strava
):
    theirs, athlete_id = connect_strava(outsider, fake_strava, firstname="Cene")
    fake_strava.signed_in_athlete = athlete_id
    response = connect_through_strava(runner_client, "/runs/")
    assert response["Location"] == "/runs/"
    page = runner_client.get("/runs/").content.decode()
    assert "already connected to another join run account" in page
    assert not StravaConnection.objects.filter(user=runner).exists()
    kept = StravaConnection.objects.get(athlete_id=athlete_id)
    assert (kept.pk, kept.user_id) == (theirs.pk, outsider.pk)
    assert fake_strava.deauthorized == set()


def test_refused_attempt_leaves_strava_working_for_the_account_that_owns_it(
    runner_client, organiser, outsider, fake_strava
):
    _theirs, athlete_id = connect_strava(outsider, fake_strava, firstname="Cene")
    run = make_run(organiser, days=-1)
    Participation.objects.create(run=run, runner=outsider, status="going")
    fake_strava.signed_in_athlete = athlete_id
    connect_through_strava(runner_client, "/runs/")
    # Six hours later the owner's access token has expired and must be refreshed.
    fake_strava.expire_access_tokens(athlete_id)
    StravaConnection.objects.filter(athlete_id=athlete_id).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    owner = Client()
    owner.force_login(outsider)
    page = owner.get(f"/strava/runs/{run.pk}/activity/").content.decode()
    assert "Strava no longer accepts" not in page
    assert StravaConnection.objects.filter(user=outsider, athlete_id=athlete_id).exists()


# Not signed in: sign in with Strava

def test_connected_athlete_signs_in_to_their_account(client, runner, fake_strava):
    _connection, athlete_id = connect_strava(runner, fake_strava)
    fake_strava.signed_in_athlete = athlete_id
    response = connect_through_strava(client, "/runs/")
    assert response.status_code == 302
    assert response["Location"] == "/runs/"
    profile = client.get("/accounts/profile/")
    assert profile.status_code == 200
    assert "Signed in as Ana." in profile.content.decode()
    assert "Welcome back, Ana!" in profile.content.decode()
    assert User.objects.count() == 1


def test_new_athlete_gets_an_account_with_first_name_only_and_is_signed_in(client, fake_strava):
    athlete_id = fake_strava.add_athlete("Maja", "Novak")
    response = connect_through_strava(client, "/runs/")
    assert response.status_code == 302
    assert response["Location"] == "/runs/"
    user = User.objects.get(strava__athlete_id=athlete_id)
    assert user.display_name == "Maja"
    assert user.email is None
    assert not user.has_usable_password()
    profile = client.get("/accounts/profile/").content.decode()
    assert "Signed in as Maja." in profile
    assert "Welcome to join run, Maja!" in profile
    assert "Novak" not in stored_rows()


def test_strava_sign_in_lasts_until_the_browser_closes(client, fake_strava):
    fake_strava.add_athlete("Maja")
    response = connect_through_strava(client)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""


def test_a_refused_sign_in_of_an_athlete_whose_access_ended_lets_the_new_tokens_go(
        client, fake_strava):
    # An account that signs in only with Strava keeps its row, without tokens, once
    # Strava refused them; then it was switched off.
    maja = User.objects.create_user(None, None, display_name="Maja")
    connection, athlete_id = connect_strava(maja, fake_strava)
    strava.forget(connection)
    maja.is_active = False
    maja.save()
    fake_strava.signed_in_athlete = athlete_id

    response = connect_through_strava(client)

    assert response["Location"] == "/accounts/login/"
    connection.refresh_from_db()
    assert not connection.is_connected  # nothing kept for a sign-in that was refused
    (revoked,) = fake_strava.requests_to("/oauth/revoke")  # and Strava told to let go
    assert not fake_strava.refresh_token_is_valid(revoked.form["token"])


def test_strava_sign_in_for_a_switched_off_account_is_refused(client, runner, fake_strava):
    _connection, athlete_id = connect_strava(runner, fake_strava)
    runner.is_active = False
    runner.save()
    fake_strava.signed_in_athlete = athlete_id
    response = connect_through_strava(client)
    assert response["Location"] == "/accounts/login/"
    assert "This account is switched off" in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/profile/").status_code == 302
    # The exchange made Strava issue new tokens: the connection keeps the working ones.
    runner.strava.refresh_from_db()
    assert fake_strava.refresh_token_is_valid(runner.strava.refresh_token)


# Strava faults during the code exchange

def messages_after(client, response):
    assert response.status_code == 302
    assert response["Location"] == "/runs/"
    return client.get("/runs/").content.decode()


@pytest.mark.parametrize(("fault", "message"), [
    ("500", "Strava is not answering right now. Try again in a few minutes"),
    ("slow", "Strava is not answering right now. Try again in a few minutes"),
    ("malformed", "Strava sent an answer we could not read. Try again later."),
])
def test_strava_failing_during_the_exchange_sends_the_runner_back_with_a_message(
    runner_client, fake_strava, fault, message
):
    fake_strava.add_athlete("Ana")
    fake_strava.fail(fault, on="token")
    page = messages_after(runner_client, connect_through_strava(runner_client, "/runs/"))
    assert message in page
    assert not StravaConnection.objects.exists()


def test_strava_busy_during_the_exchange_says_when_to_try_again(runner_client, fake_strava):
    fake_strava.add_athlete("Ana")
    fake_strava.fail("429", on="token")
    before = datetime.now(UTC)
    page = messages_after(runner_client, connect_through_strava(runner_client, "/runs/"))
    after = datetime.now(UTC)

    # The fake reports the 15-minute limit used up: calls resume at the next quarter-hour
    # (either side of one the test may have crossed).
    def next_quarter(moment):
        start = moment.replace(minute=moment.minute // 15 * 15, second=0, microsecond=0)
        return timezone.localtime(start + timedelta(minutes=15))

    assert any(f"Strava is busy; try again after {next_quarter(moment):%H:%M}." in page
               for moment in (before, after))
    assert not StravaConnection.objects.exists()


def test_strava_failing_during_sign_in_creates_no_account(client, fake_strava):
    fake_strava.add_athlete("Maja")
    fake_strava.fail("500", on="token")
    page = messages_after(client, connect_through_strava(client, "/runs/"))
    assert "Strava is not answering right now" in page
    assert not User.objects.exists()
    assert client.get("/accounts/profile/").status_code == 302


def test_answer_without_a_code_is_refused(runner_client, fake_strava):
    _url, query = authorize_query(runner_client.get(CONNECT))
    state = query["state"][0]
    response = runner_client.get(f"{CALLBACK}?{urlencode({'state': state})}")
    assert response.status_code == 400
    assert fake_strava.requests_to("/oauth/token") == []


@pytest.mark.parametrize("fault", ["401"])
def test_a_code_strava_refuses_says_nothing_was_connected(client, fake_strava, fault):
    fake_strava.add_athlete("Maja")
    answer = strava_answer(client)
    fake_strava.fail(fault, on="token")

    response = client.get(answer, follow=True)

    assert "Strava did not accept this answer (it may have expired). Nothing was connected; " \
           "try again." in response.content.decode()
    assert "we have disconnected it" not in response.content.decode()
    assert not StravaConnection.objects.exists()


def test_signing_in_again_keeps_the_date_strava_was_first_connected(client, fake_strava):
    fake_strava.add_athlete("Maja")
    connect_through_strava(client)
    first = StravaConnection.objects.get()
    StravaConnection.objects.filter(pk=first.pk).update(
        connected_at=first.connected_at - timedelta(days=100))

    connect_through_strava(Client())

    assert StravaConnection.objects.get().connected_at == first.connected_at - timedelta(
        days=100)


def test_staff_cannot_sign_in_with_strava(client, fake_strava, runner):
    runner.is_staff = True
    runner.save()
    connect_strava(runner, fake_strava)
    fake_strava.signed_in_athlete = runner.strava.athlete_id

    response = connect_through_strava(client, "/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    runner.strava.refresh_from_db()
    assert fake_strava.refresh_token_is_valid(runner.strava.refresh_token)
