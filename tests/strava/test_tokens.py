"""A runner's Strava tokens: encrypted at rest with TOKEN_KEYS (and their rotation), the
system check on the Strava and key settings, refreshing before expiry and after a 401
(strava/services.py), forgetting a connection Strava refuses, and two workers refreshing the
same connection at once on the site as gunicorn serves it."""

import html
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import requests
from cryptography.fernet import Fernet
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection as db_connection
from django.utils import timezone

from joinrun.encryption import derived_key
from runs.models import Participation
from strava import client
from strava import services as strava
from strava.apps import check_strava_settings
from strava.client import StravaError
from strava.models import ActivityLink, StravaConnection
from tests.conftest import connect_strava, make_user
from tests.runs.conftest import make_run
from tests.served import (
    free_port,
    fresh_database,
    gunicorn,
    manage,
    prepared_site,
    signed_in_session,
)

DISCONNECTED = "Strava no longer accepts"


def fernet_key():
    return Fernet.generate_key().decode()


def store_tokens(user, access="access-token-one", refresh="refresh-token-one"):
    return StravaConnection.objects.create(
        user=user, athlete_id=9_000_000_001, scope="read,activity:read", access_token=access,
        refresh_token=refresh, expires_at=timezone.now() + timedelta(hours=6))


def stored_tokens():
    """The tokens as the model reads them (None: no key opens them)."""
    connection = StravaConnection.objects.get()
    return connection.access_token, connection.refresh_token


def raw_columns():
    """The token columns exactly as they are in the database."""
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM runs_stravaconnection")
        return cursor.fetchone()


def rotate(*options):
    out = StringIO()
    call_command("rotate_token_keys", *options, stdout=out)
    return out.getvalue()


# Tokens at rest

def test_tokens_are_encrypted_in_the_database_and_read_back_in_clear(runner, fake_strava):
    connection, _ = connect_strava(runner, fake_strava)
    access, refresh = connection.access_token, connection.refresh_token

    raw_access, raw_refresh = raw_columns()

    for raw in (raw_access, raw_refresh):
        assert raw
        assert access not in raw
        assert refresh not in raw
    assert stored_tokens() == (access, refresh)


def test_tokens_are_encrypted_with_the_newest_key(settings, runner):
    new, old = fernet_key(), fernet_key()
    settings.TOKEN_KEYS = [new, old]
    store_tokens(runner)

    raw_access, raw_refresh = raw_columns()

    assert Fernet(new).decrypt(raw_access.encode()) == b"access-token-one"
    assert Fernet(new).decrypt(raw_refresh.encode()) == b"refresh-token-one"


def test_rotating_token_keys_keeps_tokens_readable_and_lets_the_old_key_go(settings, runner):
    old, new = fernet_key(), fernet_key()
    settings.TOKEN_KEYS = [old]
    store_tokens(runner)

    settings.TOKEN_KEYS = [new, old]  # step 1: the new key first, the old one still there
    assert stored_tokens() == ("access-token-one", "refresh-token-one")

    output = rotate()  # step 2

    assert "Re-encrypted 1 Strava connection(s); 0 could not be decrypted" in output
    raw_access, raw_refresh = raw_columns()
    assert Fernet(new).decrypt(raw_access.encode()) == b"access-token-one"
    assert Fernet(new).decrypt(raw_refresh.encode()) == b"refresh-token-one"
    settings.TOKEN_KEYS = [new]  # step 3: the old key is dropped
    assert stored_tokens() == ("access-token-one", "refresh-token-one")


def test_a_dry_run_of_the_rotation_changes_nothing(settings, runner):
    old, new = fernet_key(), fernet_key()
    settings.TOKEN_KEYS = [old]
    store_tokens(runner)
    before = raw_columns()
    settings.TOKEN_KEYS = [new, old]

    output = rotate("--dry-run")

    assert "Would re-encrypt 1 Strava connection(s)" in output
    assert raw_columns() == before
    settings.TOKEN_KEYS = [new]
    assert stored_tokens() == (None, None)


def test_the_rotation_reports_tokens_no_key_opens_and_leaves_them_alone(settings, runner):
    settings.TOKEN_KEYS = [fernet_key()]
    store_tokens(runner)
    before = raw_columns()
    settings.TOKEN_KEYS = [fernet_key()]  # the key they were stored with is lost

    output = rotate()

    assert "Re-encrypted 0 Strava connection(s); 1 could not be decrypted" in output
    assert raw_columns() == before


def test_without_token_keys_the_key_is_derived_from_the_secret_key(settings, runner):
    settings.TOKEN_KEYS = []
    settings.SECRET_KEY = "the-first-secret-key-" + "x" * 40
    store_tokens(runner)

    raw_access, _ = raw_columns()

    assert Fernet(derived_key(settings.SECRET_KEY)).decrypt(raw_access.encode()) == (
        b"access-token-one")
    assert stored_tokens() == ("access-token-one", "refresh-token-one")


def test_changing_the_secret_key_without_token_keys_makes_stored_tokens_unreadable(
        settings, runner):
    settings.TOKEN_KEYS = []
    settings.SECRET_KEY = "the-first-secret-key-" + "x" * 40
    store_tokens(runner)

    settings.SECRET_KEY = "the-second-secret-key-" + "y" * 40

    assert stored_tokens() == (None, None)


def test_a_connection_no_key_opens_is_forgotten_without_asking_strava(settings, runner,
                                                                      fake_strava):
    settings.TOKEN_KEYS = [fernet_key()]
    store_tokens(runner)
    settings.TOKEN_KEYS = [fernet_key()]
    connection = StravaConnection.objects.get()

    with pytest.raises(StravaError) as raised:
        strava.access_token(connection)

    assert raised.value.code == StravaError.UNAUTHORIZED
    assert not StravaConnection.objects.exists()
    assert fake_strava.requests == []


# The system check

def test_good_token_keys_and_strava_settings_pass_the_check(settings):
    settings.TOKEN_KEYS = [fernet_key(), fernet_key()]
    settings.STRAVA_CLIENT_ID, settings.STRAVA_CLIENT_SECRET = "12345", "secret"

    assert check_strava_settings() == []


@pytest.mark.parametrize("keys", [
    ["not-a-fernet-key"],
    ["0" * 44],
    [Fernet.generate_key().decode()[:-2]],
    [Fernet.generate_key().decode(), "second-is-broken"],
], ids=["words", "not-base64-of-32-bytes", "cut-short", "second-of-two"])
def test_a_token_key_that_is_not_a_fernet_key_is_an_error(settings, keys):
    settings.TOKEN_KEYS = keys
    settings.STRAVA_CLIENT_ID, settings.STRAVA_CLIENT_SECRET = "", ""

    errors = check_strava_settings()

    assert [(error.level, error.id) for error in errors] == [(checks.ERROR, "strava.E001")]
    assert f"TOKEN_KEYS entry {len(keys)} " in errors[0].msg


def test_manage_py_check_fails_on_a_bad_token_key(settings):
    settings.TOKEN_KEYS = ["not-a-fernet-key"]

    with pytest.raises(SystemCheckError, match="strava.E001"):
        call_command("check")


@pytest.mark.parametrize(("client_id", "secret"), [("12345", ""), ("", "secret")])
def test_only_one_of_the_strava_client_id_and_secret_is_an_error(settings, client_id, secret):
    settings.TOKEN_KEYS = []
    settings.STRAVA_CLIENT_ID, settings.STRAVA_CLIENT_SECRET = client_id, secret

    errors = check_strava_settings()

    assert [(error.level, error.id) for error in errors] == [(checks.ERROR, "strava.E002")]


def test_no_strava_app_at_all_passes_the_check(settings):
    settings.TOKEN_KEYS = []
    settings.STRAVA_CLIENT_ID, settings.STRAVA_CLIENT_SECRET = "", ""

    assert check_strava_settings() == []


# access_token(): refreshing before expiry

@pytest.mark.parametrize("left", [timedelta(hours=6), timedelta(minutes=5, seconds=1)])
def test_a_token_with_more_than_five_minutes_left_is_used_as_it_is(runner, fake_strava, left):
    connection, _ = connect_strava(runner, fake_strava)
    token = connection.access_token

    assert strava.access_token(connection, now=connection.expires_at - left) == token
    assert fake_strava.requests_to("/oauth/token") == []
    assert stored_tokens()[0] == token


@pytest.mark.parametrize("left", [timedelta(minutes=4), timedelta(minutes=-10)])
def test_a_token_expiring_within_five_minutes_is_refreshed_and_the_new_tokens_saved(
        runner, fake_strava, left):
    connection, athlete = connect_strava(runner, fake_strava,
                                         expires_at=timezone.now() + left)
    old_access, old_refresh = connection.access_token, connection.refresh_token

    token = strava.access_token(connection)

    saved = StravaConnection.objects.get()
    assert token == saved.access_token != old_access
    assert saved.refresh_token != old_refresh
    assert saved.expires_at > timezone.now() + timedelta(hours=5)
    assert fake_strava.refresh_token_is_valid(saved.refresh_token)
    assert not fake_strava.refresh_token_is_valid(old_refresh)
    [refresh] = fake_strava.requests_to("/oauth/token")
    assert refresh.form["refresh_token"] == old_refresh
    assert client.get("/athlete", token)["id"] == athlete


def test_a_refresh_that_returns_the_same_refresh_token_keeps_working(runner, fake_strava):
    """Strava may answer a refresh with the refresh token it was sent (documented: it "may
    differ"): the site keeps it and refreshes with it again next time."""
    fake_strava.same_refresh_token = True
    connection, athlete = connect_strava(runner, fake_strava,
                                         expires_at=timezone.now() + timedelta(minutes=1))
    kept_refresh = connection.refresh_token

    first = strava.access_token(connection)
    fake_strava.expire_access_tokens(athlete)
    StravaConnection.objects.update(expires_at=timezone.now())
    second = strava.access_token(StravaConnection.objects.get())

    saved = StravaConnection.objects.get()
    assert saved.refresh_token == kept_refresh
    assert first != second == saved.access_token
    assert client.get("/athlete", second)["id"] == athlete
    assert [r.form["refresh_token"] for r in fake_strava.requests_to("/oauth/token")] == [
        kept_refresh, kept_refresh]


def test_the_token_is_refreshed_at_exactly_five_minutes_left(runner, fake_strava):
    connection, _ = connect_strava(runner, fake_strava)

    strava.access_token(connection, now=connection.expires_at - timedelta(minutes=5))

    assert len(fake_strava.requests_to("/oauth/token")) == 1


# call(): a 401 gets one refresh and one retry

def attended_run(runner, organiser, activity_id):
    """``runner`` ran a past run and linked activity ``activity_id`` to it."""
    run = make_run(organiser, days=-1, title=f"Run {activity_id}")
    participation = Participation.objects.create(
        run=run, runner=runner, status=Participation.Status.GOING, attended_at=timezone.now())
    ActivityLink.objects.create(participation=participation, activity_id=activity_id)
    return participation


def test_a_401_gets_one_refresh_and_one_retry_and_the_answer(runner, fake_strava):
    connection, athlete = connect_strava(runner, fake_strava)
    fake_strava.fail("401")

    answer = strava.call(connection, "/athlete")

    assert answer["id"] == athlete
    assert len(fake_strava.requests_to("/oauth/token")) == 1
    assert len(fake_strava.requests_to("/api/v3/athlete")) == 2
    saved = StravaConnection.objects.get()
    assert fake_strava.refresh_token_is_valid(saved.refresh_token)


def test_a_second_401_after_the_refresh_is_not_retried_again_and_forgets_the_connection(
        runner, organiser, fake_strava):
    connection, _ = connect_strava(runner, fake_strava)
    participation = attended_run(runner, organiser, 12_000_000_001)
    fake_strava.fail("401", times=None)

    with pytest.raises(StravaError) as raised:
        strava.call(connection, "/athlete")

    assert raised.value.code == StravaError.UNAUTHORIZED
    assert len(fake_strava.requests_to("/oauth/token")) == 1
    assert len(fake_strava.requests_to("/api/v3/athlete")) == 2
    assert not StravaConnection.objects.exists()
    assert not ActivityLink.objects.filter(participation=participation).exists()


def make_refresh_refused(fake, athlete, how):
    if how == "stale refresh token":
        fake.issue_tokens(athlete)  # Strava issued newer tokens: the stored refresh token died
    else:
        fake.fail("401", on="token")


@pytest.mark.parametrize("how", ["stale refresh token", "token endpoint says 401"])
def test_a_refresh_strava_refuses_forgets_the_connection_and_its_activity_links(
        runner, organiser, fake_strava, how):
    connection, athlete = connect_strava(runner, fake_strava)
    participation = attended_run(runner, organiser, 12_000_000_001)
    someone_else = attended_run(make_user("other@example.com", "Dora"), organiser,
                                12_000_000_002)
    fake_strava.fail("401")
    make_refresh_refused(fake_strava, athlete, how)

    with pytest.raises(StravaError) as raised:
        strava.call(connection, "/athlete")

    assert raised.value.code == StravaError.UNAUTHORIZED
    assert not StravaConnection.objects.exists()
    assert not ActivityLink.objects.filter(participation__runner=runner).exists()
    participation.refresh_from_db()
    assert participation.attended_at is not None  # join run's own mark is not Strava's
    # Another runner's link stays.
    assert ActivityLink.objects.filter(participation=someone_else).exists()
    assert len(fake_strava.requests_to("/api/v3/athlete")) == 1  # no retry without a token


def test_an_expiring_token_whose_refresh_strava_refuses_forgets_the_connection(
        runner, organiser, fake_strava):
    connection, athlete = connect_strava(runner, fake_strava,
                                         expires_at=timezone.now() + timedelta(minutes=2))
    participation = attended_run(runner, organiser, 12_000_000_001)
    fake_strava.issue_tokens(athlete)

    with pytest.raises(StravaError) as raised:
        strava.call(connection, "/athlete")

    assert raised.value.code == StravaError.UNAUTHORIZED
    assert not StravaConnection.objects.exists()
    assert not ActivityLink.objects.filter(participation=participation).exists()
    assert fake_strava.requests_to("/api/v3/athlete") == []


@pytest.mark.parametrize("fault", ["500", "slow"])
def test_a_refresh_that_fails_because_strava_is_down_keeps_the_connection(
        runner, organiser, fake_strava, fault):
    connection, _ = connect_strava(runner, fake_strava)
    tokens = connection.access_token, connection.refresh_token
    participation = attended_run(runner, organiser, 12_000_000_001)
    fake_strava.fail("401")
    fake_strava.fail(fault, on="token")

    with pytest.raises(StravaError) as raised:
        strava.call(connection, "/athlete")

    assert raised.value.code == StravaError.UNAVAILABLE
    assert stored_tokens() == tokens
    assert fake_strava.refresh_token_is_valid(tokens[1])
    participation.refresh_from_db()
    assert participation.attended_at is not None
    assert ActivityLink.objects.filter(participation=participation).exists()


# Two workers refreshing the same connection at once, on the site as gunicorn serves it

def seed_race():
    """Runs inside the served site's environment (``manage.py shell``): a runner who went
    to a run an hour ago and whose Strava access token, from the fake in RACE_SEED, expires
    in under five minutes, so that every request refreshes it first."""
    seed = json.loads(os.environ["RACE_SEED"])
    organiser = make_user("organiser@example.com", "Organiser", password=None)
    runner = make_user("runner@example.com", "Ana", password=None)
    run = make_run(organiser, starts_at=datetime.fromisoformat(seed["starts_at"]))
    Participation.objects.create(run=run, runner=runner, status=Participation.Status.GOING)
    StravaConnection.objects.create(
        user=runner, athlete_id=seed["athlete_id"], scope="read,activity:read",
        access_token=seed["access_token"], refresh_token=seed["refresh_token"],
        expires_at=datetime.fromtimestamp(seed["expires_at"], tz=UTC))
    print(json.dumps({"run": run.pk, "session": signed_in_session(runner)}))


# None once the connection is gone.
PRINT_REFRESH_TOKEN = ("from strava.models import StravaConnection; "
                       "print(getattr(StravaConnection.objects.first(), 'refresh_token', None))")


def refreshes(fake):
    return [r for r in fake.requests_to("/oauth/token")
            if r.form.get("grant_type") == "refresh_token"]


def test_two_requests_refreshing_at_once_keep_a_working_refresh_token(settings, tmp_path,
                                                                      fake_strava):
    athlete = fake_strava.add_athlete("Ana", "Novak")
    starts_at = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    fake_strava.add_activity(athlete, start=starts_at + timedelta(minutes=4),
                             name="River loop with the group")
    tokens = fake_strava.issue_tokens(athlete, expires_at=timezone.now() + timedelta(minutes=2))
    fake_strava.token_delay = 1.0  # both requests are inside their refresh at once
    bind = f"127.0.0.1:{free_port()}"

    with fresh_database(tmp_path, settings.DATABASES) as database_url:
        env = prepared_site(
            tmp_path, database_url, name="strava-race", workers=2,
            GUNICORN_BIND=bind,
            SITE_URL=f"http://{bind}",
            STRAVA_CLIENT_ID=fake_strava.client_id,
            STRAVA_CLIENT_SECRET=fake_strava.client_secret,
            STRAVA_OAUTH_URL=fake_strava.oauth_url,
            STRAVA_API_URL=fake_strava.api_url,
            STRAVA_TIMEOUT="10",
        )
        seed = {"athlete_id": athlete, "starts_at": starts_at.isoformat(), **tokens}
        seeded = json.loads(manage(
            {**env, "RACE_SEED": json.dumps(seed)}, "shell", "--no-imports", "-c",
            "from tests.strava.test_tokens import seed_race; seed_race()",
        ))
        with gunicorn(env, tmp_path / "gunicorn.log") as base:
            chooser = f"{base}/strava/runs/{seeded['run']}/activity/"
            # Two tabs of the same runner's browser.
            tabs = [requests.Session() for _ in range(2)]
            for tab in tabs:
                tab.cookies.set(settings.SESSION_COOKIE_NAME, seeded["session"])
            # Both workers loaded and connected to the database before the race.
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda _: requests.get(f"{base}/", timeout=10), range(8)))
            start = threading.Barrier(len(tabs))

            def look(tab):
                start.wait(timeout=10)
                return tab.get(chooser, allow_redirects=False, timeout=30)

            with ThreadPoolExecutor(max_workers=len(tabs)) as pool:
                pages = list(pool.map(look, tabs))
            refreshed = refreshes(fake_strava)
            stored = manage(env, "shell", "--no-imports", "-c", PRINT_REFRESH_TOKEN).strip()
            stored_is_valid = fake_strava.refresh_token_is_valid(stored)

            # Later Strava stops taking the access token: the stored refresh token gets
            # a new one.
            fake_strava.token_delay = 0.0
            fake_strava.expire_access_tokens(athlete)
            later = tabs[0].get(chooser, allow_redirects=False, timeout=30)

    for page in [*pages, later]:
        assert page.status_code == 200, page.text[:2000]
        text = html.unescape(page.text)
        assert DISCONNECTED not in text
        assert "River loop with the group" in text
    assert len(refreshed) == 1
    assert refreshed[0].form["refresh_token"] == tokens["refresh_token"]
    assert stored_is_valid
    assert len(refreshes(fake_strava)) == 2


# Refusals of join run's app are the operator's problem, never the runner's


@pytest.mark.parametrize("client_secret", ["a-mistyped-secret"])
def test_a_wrong_client_secret_keeps_every_runners_connection(
        runner, organiser, fake_strava, settings, client_secret):
    connection, _ = connect_strava(runner, fake_strava,
                                   expires_at=timezone.now() + timedelta(minutes=1))
    participation = attended_run(runner, organiser, 12_000_000_001)
    settings.STRAVA_CLIENT_SECRET = client_secret  # the token endpoint answers 401 Application

    with pytest.raises(StravaError) as raised:
        strava.call(connection, "/athlete")

    assert raised.value.code == StravaError.APP_REFUSED
    assert StravaConnection.objects.get(pk=connection.pk).is_connected
    assert ActivityLink.objects.filter(participation=participation).exists()


def test_an_app_strava_switched_off_keeps_every_runners_connection(runner, fake_strava):
    connection, _ = connect_strava(runner, fake_strava)
    inactive = {"message": "Forbidden", "errors": [
        {"resource": "Application", "field": "Status", "code": "Inactive"}]}
    response = requests.Response()
    response.status_code, response._content = 403, json.dumps(inactive).encode()

    error = client._refusal(403, *client._faults(response))

    assert error.code == StravaError.APP_REFUSED
    assert StravaConnection.objects.get(pk=connection.pk).is_connected


def test_an_athlete_capacity_under_one_is_an_error(settings):
    settings.TOKEN_KEYS = []
    settings.STRAVA_ATHLETE_CAPACITY = 0

    errors = check_strava_settings()

    assert [(error.level, error.id) for error in errors] == [(checks.ERROR, "strava.E004")]
