from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from runs.models import Run
from tests.conftest import make_user


def make_run(organiser, *, days=3, **fields):
    """A run ``days`` from now (negative: in the past), with sensible defaults."""
    values = {
        "title": "Tuesday river loop",
        "meeting_point": "Cobblers' Bridge",
        # Whole minutes, as the form saves them.
        "starts_at": (timezone.now() + timedelta(days=days)).replace(second=0, microsecond=0),
        "distance_km": Decimal("8"),
        "pace_min": 330,
        "pace_max": 360,
        **fields,
    }
    return Run.objects.create(organiser=organiser, **values)


def make_runners(count, prefix="r"):
    return [make_user(f"{prefix}{i}@example.com", f"Runner {i}") for i in range(count)]


@pytest.fixture
def run(organiser):
    return make_run(organiser, capacity=2)


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client
