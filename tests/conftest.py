import os

import pytest
from django.core.cache import caches

from accounts.models import User

PASSWORD = "long-enough-password-42"


@pytest.fixture(autouse=True)
def _fresh_cache():
    for alias in ("default", "pages"):
        caches[alias].clear()
    yield
    for alias in ("default", "pages"):
        caches[alias].clear()


def make_user(email, display_name, password=PASSWORD, **extra):
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
