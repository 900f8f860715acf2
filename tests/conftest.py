import os
import time

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from accounts.models import User

PASSWORD = "long-enough-password-42"


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    forget_kept()
    monkeypatch.setattr("joinrun.page_cache.minute", _minutes_from_the_test_start())
    yield
    forget_kept()


def _minutes_from_the_test_start():
    """The page cache's minute (part of every key) counted from the test's start, so a test
    that expects its second request to be served from the cache does not miss it when the
    clock's minute ends between the two; a test that moves ``time.time`` a minute on still
    moves the minute."""
    started = time.time()
    first = int(started // 60)
    return lambda: first + int((time.time() - started) // 60)


def forget_kept():
    """Empties the caches and what this worker keeps in memory (joinrun.page_cache)."""
    from joinrun import page_cache

    for alias in ("default", "pages"):
        caches[alias].clear()
    page_cache.memory.clear()


@pytest.fixture(autouse=True)
def _deliver_at_once(request):
    """Queued emails are handed over as soon as they are queued, as the worker would do
    a moment later, so a test reads them in mail.outbox. Tests of the queue itself
    (marked ``queue_only``) leave them for a real worker process."""
    if request.node.get_closest_marker("queue_only"):
        yield
        return
    from django_tasks.signals import task_enqueued

    def run_now(sender, task_result, **kwargs):
        if task_result.task.run_after is None:
            value = task_result.task.call(*task_result.args, **task_result.kwargs)
            task_result.db_result.set_successful(value)

    task_enqueued.connect(run_now)
    yield
    task_enqueued.disconnect(run_now)


def code_for(app):
    """The code an authenticator app (a TOTPDevice) shows now, by django-otp's own TOTP;
    the next one when this one was used already (a code is accepted once)."""
    from django_otp.oath import TOTP

    app.refresh_from_db()
    totp = TOTP(app.bin_key, app.step, app.t0, app.digits, app.drift)
    if totp.t() <= app.last_t:
        totp.time = time.time() + (app.last_t + 1 - totp.t()) * app.step
    return f"{totp.token():0{app.digits}d}"


def pass_second_step(client, user):
    """``client``'s session as after the second step: verified by the account's
    authenticator app (one is made for it when it has none)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    app = app or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = app.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _staff_sign_in_in_full(monkeypatch):
    """``force_login`` stands for a whole sign-in, which for staff includes the second
    step the staff pages need. tests/accounts/test_second_factor.py signs in step by
    step, through the pages."""
    force_login = Client.force_login

    def with_second_step(self, user, backend=None):
        force_login(self, user, backend)
        if user.is_staff:
            pass_second_step(self, user)

    monkeypatch.setattr(Client, "force_login", with_second_step)


def make_user(email, display_name, password=PASSWORD, **extra):
    """An account whose address is confirmed, as most people's are."""
    extra.setdefault("email_confirmed_at", timezone.now() if email else None)
    return User.objects.create_user(email, password, display_name=display_name, **extra)


@pytest.fixture
def runner(db):
    return make_user("runner@example.com", "Ana")


@pytest.fixture
def organiser(db):
    return make_user("organiser@example.com", "Bojan")


@pytest.fixture
def outsider(db):
    return make_user("outsider@example.com", "Cene")


@pytest.fixture
def runner_client(client, runner):
    client.force_login(runner)
    return client


def production_env(**overrides):
    """Environment for a subprocess that loads joinrun.settings as production would:
    no .env, no test-only variables."""
    dropped = {"SECRET_KEY", "DEBUG", "HTTPS", "DJANGO_SETTINGS_MODULE",
               "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DJANGO_SETTINGS_MODULE="joinrun.settings", ENV_FILE="/nonexistent")
    env.update(overrides)
    return env


@pytest.fixture
def fake_strava(settings):
    """The fake Strava (tests/fakes/strava.py) on a loopback port, with the site's Strava
    settings pointing at it, exactly as they would point at Strava."""
    from tests.fakes.strava import FakeStrava

    with FakeStrava() as fake:
        settings.STRAVA_CLIENT_ID = fake.client_id
        settings.STRAVA_CLIENT_SECRET = fake.client_secret
        settings.STRAVA_OAUTH_URL = fake.oauth_url
        settings.STRAVA_API_URL = fake.api_url
        settings.STRAVA_WEBHOOK_VERIFY_TOKEN = "test-verify-token"
        settings.STRAVA_TIMEOUT = 1.0  # "slow" faults sleep past it
        fake.slow_seconds = 2.0
        yield fake
        # Strava retires it on 1 June 2027: access is ended with /oauth/revoke only.
        assert fake.requests_to("/oauth/deauthorize") == []


def connect_strava(user, fake, *, firstname="Ana", expires_at=None, scope="read,activity:read"):
    """``user`` connected to a new fake athlete, as after the OAuth dance; returns
    (connection, athlete_id)."""
    from datetime import UTC, datetime

    from strava.models import StravaConnection

    athlete_id = fake.add_athlete(firstname)
    tokens = fake.issue_tokens(athlete_id, scope=scope, expires_at=expires_at)
    connection = StravaConnection.objects.create(
        user=user, athlete_id=athlete_id, scope=scope,
        access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
        expires_at=datetime.fromtimestamp(tokens["expires_at"], tz=UTC),
    )
    return connection, athlete_id
