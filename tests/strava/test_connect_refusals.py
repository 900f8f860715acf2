"""What Strava refuses while a runner connects, since its 2026 changes: a fresh code it
refuses once, an app at its athlete capacity or inactive, and a different athlete
replacing the connected one (the old one is revoked at Strava)."""

import logging

import pytest
from django.test import Client

from accounts.models import User
from strava import services as strava
from strava.models import StravaConnection
from tests.conftest import connect_strava, make_user
from tests.strava.test_connect import CONNECT, connect_through_strava, strava_answer

CANNOT_CONNECT = "Join run cannot connect more Strava accounts right now."


def test_a_fresh_code_strava_refuses_once_is_sent_again_and_connects(
        runner_client, runner, fake_strava):
    athlete_id = fake_strava.add_athlete("Ana")
    fake_strava.refuse_fresh_codes_once = True

    response = connect_through_strava(runner_client, "/runs/mine/")

    assert response["Location"] == "/runs/mine/"
    assert "Strava is connected" in runner_client.get("/runs/mine/").content.decode()
    assert StravaConnection.objects.get(user=runner).athlete_id == athlete_id
    assert len(fake_strava.requests_to("/oauth/token")) == 2


@pytest.mark.parametrize(("refusal", "cause"), [
    ("capacity", "it has connected as many athletes as Strava allows it"),
    ("inactive", "Strava marked the app inactive"),
])
def test_an_app_strava_will_not_connect_more_athletes_to_says_so_and_logs_why(
        runner_client, runner, fake_strava, caplog, refusal, cause):
    fake_strava.add_athlete("Ana")
    answer = strava_answer(runner_client)  # Strava's consent page let the runner through
    if refusal == "capacity":
        fake_strava.capacity = 0  # full by the time the code is exchanged
    else:
        fake_strava.inactive = True

    with caplog.at_level(logging.ERROR, logger="strava.client"):
        response = runner_client.get(answer, follow=True)

    page = response.content.decode()
    assert CANNOT_CONNECT in page
    assert "Strava is not accepting join run's requests" not in page  # not the generic one
    assert not StravaConnection.objects.exists()
    assert any(cause in record.getMessage() for record in caplog.records)

    # Meanwhile, "Connect" says so here instead of sending runners to Strava's error page.
    again = runner_client.get(CONNECT, {"next": "/runs/mine/"}, follow=True)
    assert CANNOT_CONNECT in again.content.decode()
    assert all("/oauth/authorize" not in url for url, _status in again.redirect_chain)


def test_at_the_apps_capacity_connect_says_so_instead_of_sending_runners_to_strava(
        settings, runner_client, runner, fake_strava, caplog):
    # Strava refuses the next new athlete on its own consent page ("Limit of connected
    # athletes exceeded"): the runner would never come back to be told why.
    settings.STRAVA_ATHLETE_CAPACITY = fake_strava.capacity = 2
    ana, _ = connect_strava(make_user("ana@example.com", "Ana"), fake_strava)
    connect_strava(make_user("bor@example.com", "Bor"), fake_strava)

    with caplog.at_level(logging.ERROR, logger="strava.services"):
        response = runner_client.get(CONNECT, {"next": "/runs/mine/"}, follow=True)
        runner_client.get(CONNECT, {"next": "/runs/mine/"})

    assert CANNOT_CONNECT in response.content.decode()
    assert all("/oauth/authorize" not in url for url, _status in response.redirect_chain)
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 1  # once an hour, however many runners try
    assert "connected 2 athletes, its capacity (STRAVA_ATHLETE_CAPACITY=2)" in logged[0]
    assert "Apply for more" in logged[0] and "@" not in logged[0]
    # Those already connected go on: signing in with Strava, and connecting again.
    assert "/oauth/authorize" in Client().get(CONNECT)["Location"]
    ana_client = Client()
    ana_client.force_login(ana.user)
    assert "/oauth/authorize" in ana_client.get(CONNECT, {"force": "1"})["Location"]

    # An account that signs in only with Strava, whose access ended (its row kept without
    # tokens), is new to Strava again.
    maja = User.objects.create_user(None, None, display_name="Maja")
    strava.forget(connect_strava(maja, fake_strava)[0])
    assert StravaConnection.objects.filter(user=maja).exists()
    maja_client = Client()
    maja_client.force_login(maja)
    assert CANNOT_CONNECT in maja_client.get(CONNECT, follow=True).content.decode()

    strava.disconnect(ana)  # one leaves: there is room again
    assert "/oauth/authorize" in runner_client.get(CONNECT)["Location"]


def test_connecting_a_different_athlete_revokes_the_old_one_at_strava(
        runner_client, runner, fake_strava, django_capture_on_commit_callbacks):
    _connection, old_athlete = connect_strava(runner, fake_strava)
    new_athlete = fake_strava.add_athlete("Ana", "Kovač")
    fake_strava.signed_in_athlete = new_athlete

    with django_capture_on_commit_callbacks(execute=True):  # told once it is saved
        connect_through_strava(runner_client, "/runs/mine/")

    assert StravaConnection.objects.get(user=runner).athlete_id == new_athlete
    assert fake_strava.deauthorized == {old_athlete}
    (told,) = fake_strava.requests_to("/oauth/revoke")
    assert told.basic_auth == (fake_strava.client_id, fake_strava.client_secret)


def test_sign_in_with_strava_goes_on_while_new_connections_are_refused(
        client, fake_strava, runner):
    """Strava's capacity refuses only new athletes: an account that signs in with Strava
    must not be locked out because someone else was refused."""
    from django.core.cache import cache

    from strava.views import CANNOT_CONNECT_KEY

    (existing,) = [fake_strava.add_athlete("Maja")]
    fake_strava.signed_in_athlete = existing
    connect_through_strava(client)  # an account made by "Sign in with Strava"
    account = StravaConnection.objects.get(athlete_id=existing).user_id
    client.logout()
    cache.set(CANNOT_CONNECT_KEY, True, 60)

    response = connect_through_strava(client)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(account)
    # A signed-in runner who never connected is told at once.
    browser = Client()
    browser.force_login(runner)
    told = browser.get(CONNECT, follow=True)
    assert CANNOT_CONNECT in told.content.decode()


def test_a_new_athlete_connecting_clears_the_refusal(runner_client, runner, fake_strava):
    from django.core.cache import cache

    from strava.views import CANNOT_CONNECT_KEY

    fake_strava.add_athlete("Ana")
    answer = strava_answer(runner_client)  # begun before the refusal was remembered
    cache.set(CANNOT_CONNECT_KEY, True, 60)

    runner_client.get(answer)

    assert StravaConnection.objects.filter(user=runner).exists()
    assert cache.get(CANNOT_CONNECT_KEY) is None


def test_refused_answers_from_one_network_are_limited(client, fake_strava, db):
    from strava.views import EXCHANGES_PER_CLIENT

    fake_strava.add_athlete("Maja")
    for _attempt in range(EXCHANGES_PER_CLIENT.limit):
        fake_strava.fail("500", on="token")
        connect_through_strava(client)
    calls = len(fake_strava.requests_to("/oauth/token"))

    response = connect_through_strava(client)

    assert response.status_code == 429
    assert "Strava was asked to connect too often from your network." in (
        response.content.decode())
    assert response["Retry-After"]
    assert len(fake_strava.requests_to("/oauth/token")) == calls


def test_answers_strava_accepts_are_not_limited(client, fake_strava, db):
    """Runners behind one address (a club's Wi-Fi, a mobile network) keep signing in."""
    from strava.views import EXCHANGES_PER_CLIENT

    fake_strava.add_athlete("Maja")
    for _attempt in range(EXCHANGES_PER_CLIENT.limit + 2):
        response = connect_through_strava(client)
        assert response.status_code == 302
        assert "_auth_user_id" in client.session
        client.logout()
