"""What Strava refuses while a runner connects, since its 2026 changes: a fresh code it
refuses once, an app at its athlete capacity or inactive, and a different athlete
replacing the connected one (the old one is revoked at Strava)."""

import logging

import pytest

from strava.models import StravaConnection
from tests.conftest import connect_strava
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
