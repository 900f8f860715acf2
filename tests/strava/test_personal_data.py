"""What join run keeps about a runner's Strava: the export, erasure, and the register."""

import json
from datetime import timedelta

import pytest
from django.db import connection as database
from django.utils import timezone

from accounts.models import User
from joinrun import personal_data
from runs.models import Participation
from strava.models import ActivityLink, StravaConnection
from tests.conftest import PASSWORD, connect_strava
from tests.runs.conftest import make_run

EXPORT = "/accounts/export/"
DELETE = "/accounts/delete/"


@pytest.fixture
def strava_runner(runner, organiser, fake_strava):
    """The runner with Strava connected and an activity linked to each of two past runs;
    returns (connection, athlete id, [activity ids in run order])."""
    connection, athlete_id = connect_strava(runner, fake_strava)
    activity_ids = []
    for title, days in (("Hill repeats", -9), ("River loop", -2)):
        run = make_run(organiser, title=title, days=days)
        participation = Participation.objects.create(run=run, runner=runner, status="going",
                                                     attended_at=run.starts_at)
        activity_id = fake_strava.add_activity(athlete_id, start=run.starts_at)
        ActivityLink.objects.create(participation=participation, activity_id=activity_id)
        activity_ids.append(activity_id)
    return connection, athlete_id, activity_ids


# Export


def test_export_holds_my_strava_connection_and_linked_activities(runner_client,
                                                                  strava_runner):
    connection, athlete_id, activity_ids = strava_runner

    data = json.loads(runner_client.get(EXPORT).content)

    strava = data["strava"]
    assert strava["connection"] == {
        "athlete_id": athlete_id,
        "connected": True,
        "scope": "read,activity:read",
        "connected_at": connection.connected_at.isoformat(),
    }
    linked = strava["linked_activities"]
    assert [item["activity_id"] for item in linked] == activity_ids
    assert [item["run"] for item in linked] == ["Hill repeats", "River loop"]
    assert linked[0]["strava_url"] == f"https://www.strava.com/activities/{activity_ids[0]}"


def test_export_never_holds_my_strava_tokens(runner_client, runner, strava_runner):
    connection, _athlete_id, _activity_ids = strava_runner
    with database.cursor() as cursor:  # the tokens as stored: encrypted
        cursor.execute("SELECT access_token, refresh_token FROM runs_stravaconnection "
                       "WHERE user_id = %s", [runner.pk])
        stored = cursor.fetchone()

    body = runner_client.get(EXPORT).content.decode()

    for secret in (connection.access_token, connection.refresh_token, *stored):
        assert secret and secret not in body
    strava = json.dumps(json.loads(body)["strava"])
    for name in ("access_token", "refresh_token", "expires_at"):
        assert name not in strava


def test_export_without_strava_says_so(runner_client, fake_strava):
    data = json.loads(runner_client.get(EXPORT).content)
    assert data["strava"] == {"connection": None, "linked_activities": []}


def test_export_explains_why_strava_data_is_kept(runner, strava_runner):
    explained = {item["data"]: item["why"]
                 for item in personal_data.export_for(runner)["why_we_keep_it"]}
    for name in ("athlete_id", "scope", "connected_at"):
        assert explained[f"strava.StravaConnection.{name}"]
    assert explained["strava.ActivityLink.activity_id"]
    for secret in ("access_token", "refresh_token", "expires_at"):
        assert f"strava.StravaConnection.{secret}" not in explained


# Erasure


def test_deleting_my_account_tells_strava_once_it_is_done_and_deletes_my_strava_data(
    runner_client, runner, fake_strava, strava_runner, django_capture_on_commit_callbacks
):
    _connection, athlete_id, activity_ids = strava_runner

    with django_capture_on_commit_callbacks() as callbacks:
        response = runner_client.post(DELETE, {"confirmation": PASSWORD})
    told_before_commit = set(fake_strava.deauthorized)
    for callback in callbacks:
        callback()

    assert response.status_code == 200
    assert "Your account is deleted" in response.content.decode()
    assert told_before_commit == set()
    assert fake_strava.deauthorized == {athlete_id}
    assert not User.objects.filter(pk=runner.pk).exists()
    assert not StravaConnection.objects.filter(athlete_id=athlete_id).exists()
    assert not ActivityLink.objects.filter(activity_id__in=activity_ids).exists()


def test_deleting_my_account_tells_strava_even_when_my_access_token_has_expired(
    runner_client, runner, fake_strava, django_capture_on_commit_callbacks
):
    # Access tokens last six hours: most people delete their account with an expired one.
    connection, athlete_id = connect_strava(
        runner, fake_strava, expires_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = runner_client.post(DELETE, {"confirmation": PASSWORD})

    assert response.status_code == 200
    assert fake_strava.deauthorized == {athlete_id}
    assert not StravaConnection.objects.filter(pk=connection.pk).exists()


@pytest.mark.parametrize("kind", ["down", "500", "slow"])
def test_deleting_my_account_completes_when_strava_fails(
    runner_client, runner, fake_strava, strava_runner, django_capture_on_commit_callbacks, kind
):
    _connection, athlete_id, activity_ids = strava_runner
    if kind == "down":
        fake_strava.stop()
    else:
        fake_strava.fail(kind, times=None, on="any")

    with django_capture_on_commit_callbacks(execute=True):
        response = runner_client.post(DELETE, {"confirmation": PASSWORD})

    assert response.status_code == 200
    assert "Your account is deleted" in response.content.decode()
    assert not User.objects.filter(pk=runner.pk).exists()
    assert not StravaConnection.objects.filter(athlete_id=athlete_id).exists()
    assert not ActivityLink.objects.filter(activity_id__in=activity_ids).exists()
    assert runner_client.get("/accounts/profile/").status_code == 302


# The register


def registered(model):
    return {entry.field: entry for entry in personal_data.fields()
            if entry.model == f"strava.{model}"}


def test_register_lists_every_strava_connection_field_with_its_purpose(db):
    entries = registered("StravaConnection")
    stored = {field.name for field in StravaConnection._meta.concrete_fields} - {"id"}

    assert set(entries) == stored
    for entry in entries.values():
        assert str(entry.purpose) and str(entry.retention)
    assert {name for name, entry in entries.items() if not entry.exported} == {
        "access_token", "refresh_token", "expires_at"}


def test_register_lists_the_linked_activity_id_with_its_purpose(db):
    entry = registered("ActivityLink")["activity_id"]
    assert entry.exported
    assert "Only the id" in str(entry.purpose)
    assert str(entry.retention)


def test_privacy_policy_shows_the_strava_entries(client, db):
    page = client.get("/privacy/").content.decode()
    for label in ("Strava athlete id", "Granted scope", "Connected at", "Access token",
                  "Refresh token", "Strava activity id"):
        assert f'<th scope="row">{label}</th>' in page, label
