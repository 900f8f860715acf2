"""Strava's webhook answers in time whatever Strava's speed: the site served by gunicorn,
the check done by a real ``manage.py db_worker``, and the fake Strava answering after 5
seconds (Strava wants an answer within 2 and retries otherwise)."""

import json
import time

import pytest
import requests

from strava.models import StravaConnection
from tests.fakes.strava import FakeStrava
from tests.outbox.conftest import database_alias, db_worker
from tests.served import fresh_database, gunicorn, manage, prepared_site, warm_up

pytestmark = pytest.mark.queue_only

SEED = """
import datetime as dt, json
from accounts.models import User
from strava.models import StravaConnection
tokens = json.loads({tokens!r})
ana = User.objects.create_user("ana@example.com", "long-enough-password-42", display_name="Ana")
StravaConnection.objects.create(
    user=ana, athlete_id={athlete_id}, scope="read,activity:read",
    access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
    expires_at=dt.datetime.fromtimestamp(tokens["expires_at"], tz=dt.UTC))
print(json.dumps({{"user": ana.pk}}))
"""


@pytest.fixture
def slow_strava_site(tmp_path, django_db_blocker):
    """The site and its database (alias "served"), with Ana connected to a Strava that
    answers its API after 5 seconds; the worker is the test's to start."""
    from django.conf import settings

    with FakeStrava() as fake, fresh_database(tmp_path, settings.DATABASES) as database_url:
        env = prepared_site(tmp_path, database_url, name="strava-webhook", workers=2,
                            STRAVA_CLIENT_ID=fake.client_id,
                            STRAVA_CLIENT_SECRET=fake.client_secret,
                            STRAVA_OAUTH_URL=fake.oauth_url, STRAVA_API_URL=fake.api_url,
                            STRAVA_TIMEOUT="8")
        athlete_id = fake.add_athlete("Ana", "Novak")
        tokens = fake.issue_tokens(athlete_id)
        manage(env, "shell", "--no-imports", "-c",
               SEED.format(tokens=json.dumps(tokens), athlete_id=athlete_id))
        with gunicorn(env, tmp_path / "gunicorn.log") as base, database_alias(database_url):
            # Both workers started, as on a site Strava calls: the 2 s are about the webhook,
            # not a worker's first request.
            warm_up(f"{base}/runs/", workers=2)
            warm_up(f"{base}/strava/webhook/", workers=2)
            yield {"env": env, "tmp": tmp_path, "base": base, "fake": fake,
                   "athlete_id": athlete_id, "blocker": django_db_blocker}


def connections(site):
    with site["blocker"].unblock():
        return StravaConnection.objects.using("served").filter(
            athlete_id=site["athlete_id"], refresh_token__isnull=False).count()


def test_a_revocation_is_answered_at_once_and_acted_on_by_the_worker(slow_strava_site):
    site, fake = slow_strava_site, slow_strava_site["fake"]
    fake.revoke(site["athlete_id"])  # Ana removed join run in her Strava settings
    fake.slow_seconds = 5
    fake.fail("slow", times=None, on="api")
    event = {"object_type": "athlete", "object_id": site["athlete_id"],
             "aspect_type": "update", "updates": {"authorized": "false"},
             "owner_id": site["athlete_id"], "subscription_id": 1,
             "event_time": int(time.time())}

    answers = []
    for _attempt in range(3):  # Strava's event and two resends: answered, queued once
        started = time.monotonic()
        response = requests.post(f"{site['base']}/strava/webhook/", json=event, timeout=10)
        answers.append((response.status_code, time.monotonic() - started))

    assert [status for status, _seconds in answers] == [200, 200, 200]
    assert max(seconds for _status, seconds in answers) < 2, answers
    assert connections(site) == 1  # nothing is forgotten until Strava has answered
    assert fake.requests_to("/api/v3/athlete") == []

    with db_worker(site["env"], site["tmp"] / "worker.log"):
        deadline = time.monotonic() + 60
        while connections(site) and time.monotonic() < deadline:
            time.sleep(0.2)

    assert connections(site) == 0
    assert len(fake.requests_to("/api/v3/athlete")) == 1  # the resends cost no second call
