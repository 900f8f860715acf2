import html

import pytest
from django.core import mail

from clubs import services
from clubs.models import Organiser
from tests.runs.conftest import make_run, organiser_client  # noqa: F401 (a fixture)


def make_club(organiser, name="Tivoli Trotters", place="Ljubljana", description="", **extra):
    """A club whose first organiser is ``organiser``; ``co_organisers`` join it."""
    club = services.create(organiser, name=name, place=place, description=description)
    for user in extra.pop("co_organisers", ()):
        Organiser.objects.create(club=club, user=user)
    return club


def make_club_run(club, organiser, **fields):
    return make_run(organiser, club=club, **fields)


@pytest.fixture
def club(organiser):
    return make_club(organiser)


@pytest.fixture
def co_organiser(db):
    from tests.conftest import make_user

    return make_user("co@example.com", "Dora")


def text(response):
    """A page's text as a reader sees it: entities decoded."""
    return html.unescape(response.content.decode())


def mail_to(address):
    return [message for message in mail.outbox if message.to == [address]]


@pytest.fixture
def staff_client(client, db):
    from accounts.models import User
    from tests.conftest import PASSWORD

    client.force_login(User.objects.create_superuser("staff@example.com", PASSWORD))
    return client


@pytest.fixture
def club_with_co_organiser(club, co_organiser):
    Organiser.objects.create(club=club, user=co_organiser)
    return club
