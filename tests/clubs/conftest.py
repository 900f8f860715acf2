import pytest

from clubs import services
from clubs.models import Organiser
from tests.runs.conftest import make_run


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
