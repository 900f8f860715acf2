"""A run's page: its details, the viewer's place, and who may see whose name."""

import html
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import User
from runs.models import Participation
from tests.runs.conftest import make_run, make_runners


def text(response):
    return html.unescape(response.content.decode())


def page_of(client, run):
    response = client.get(f"/runs/{run.pk}/")
    assert response.status_code == 200
    return text(response)


@pytest.fixture
def full_run(run):
    """``run`` (capacity 2) with Runner 0 and Runner 1 going and Runner 2 waiting."""
    for person in make_runners(3):
        run.join(person)
    return run


def test_run_page_shows_everything_about_the_run(client, organiser):
    day = timezone.localdate() + timedelta(days=10)
    starts_at = datetime.combine(day, time(18, 30), tzinfo=ZoneInfo("Europe/Ljubljana"))
    run = make_run(organiser, title="Castle hill repeats", starts_at=starts_at,
                   meeting_point="Foot of the funicular", distance_km=Decimal("10.5"),
                   pace_min=330, pace_max=360, capacity=12,
                   description="Six climbs.\n\nCoffee afterwards.")

    page = page_of(client, run)

    assert "<h1>Castle hill repeats</h1>" in page
    assert f"{starts_at:%A} {day.day} {starts_at:%B %Y}, 18:30" in page
    assert "Foot of the funicular" in page
    assert "10.5 km" in page
    assert "5:30–6:00 /km" in page
    assert "12 spots left" in page and "12 places" in page
    assert "<p>Six climbs.</p>" in page and "<p>Coffee afterwards.</p>" in page
    assert "Bojan" in page  # the organiser's display name
    assert "organiser@example.com" not in page


def test_run_open_to_every_pace_says_so(client, organiser):
    run = make_run(organiser, pace_min=None, pace_max=None)
    assert "Every pace is welcome" in page_of(client, run)


def test_run_with_coordinates_links_to_openstreetmap(client, organiser):
    run = make_run(organiser, latitude=Decimal("46.05108"), longitude=Decimal("14.50513"))
    page = page_of(client, run)
    assert ('<a href="https://www.openstreetmap.org/?mlat=46.05108&mlon=14.50513'
            '#map=16/46.05108/14.50513" rel="noopener noreferrer">Open in OpenStreetMap</a>'
            ) in page


def test_run_without_coordinates_has_no_map_link(client, run):
    page = page_of(client, run)
    assert "OpenStreetMap" not in page
    assert "openstreetmap.org" not in page


def test_run_page_loads_nothing_from_elsewhere(client, organiser):
    run = make_run(organiser, latitude=Decimal("46.05108"), longitude=Decimal("14.50513"))
    page = page_of(client, run)
    tags = re.findall(r"<(?:script|img|iframe|link|source|embed|object|video|audio)\b[^>]*>",
                      page)
    # The canonical link names the page's own public address; it loads nothing.
    tags = [tag for tag in tags if 'rel="canonical"' not in tag]
    addresses = [re.search(r'(?:src|href|data)="([^"]*)"', tag) for tag in tags]
    assert tags  # the stylesheet at least
    assert all(address and address[1].startswith("/") and not address[1].startswith("//")
               for address in addresses), tags


def test_anonymous_visitor_gets_no_cookie_on_a_run_page(client, run):
    assert not client.get(f"/runs/{run.pk}/").cookies


def test_missing_run_is_not_found(client, db):
    assert client.get("/runs/999999/").status_code == 404


# The viewer's place


def test_runner_who_joined_sees_they_are_going(runner_client, runner, run):
    run.join(runner)
    page = page_of(runner_client, run)
    assert "You're going" in page
    assert "Leave run" in page
    assert "Join run" not in page


def test_waiting_runner_sees_their_place_in_line(runner_client, runner, full_run):
    full_run.join(runner)
    page = page_of(runner_client, full_run)
    assert "You're #2 on the waitlist" in page
    assert "Leave the waitlist" in page


def test_signed_in_runner_can_join(runner_client, run):
    page = page_of(runner_client, run)
    assert "<button type=\"submit\">Join run</button>" in page
    assert "You're going" not in page


def test_full_run_offers_the_waitlist(runner_client, full_run):
    assert "<button type=\"submit\">Join the waitlist</button>" in page_of(runner_client,
                                                                           full_run)


def test_anonymous_visitor_is_asked_to_log_in_to_join(client, run):
    page = page_of(client, run)
    assert f'href="/accounts/login/?next=/runs/{run.pk}/">Join run</a>' in page


# Who sees whose name


@pytest.mark.parametrize("viewer", ["organiser", "going", "waiting"])
def test_organiser_and_the_runs_runners_see_who_is_going(client, full_run, viewer):
    people = {
        "organiser": full_run.organiser,
        "going": User.objects.get(display_name="Runner 0"),
        "waiting": User.objects.get(display_name="Runner 2"),
    }
    client.force_login(people[viewer])

    page = page_of(client, full_run)

    going, waiting = page.split("<h3>Waitlist</h3>")
    assert "<li>Runner 0</li>" in going and "<li>Runner 1</li>" in going
    assert "<li>Runner 2</li>" in waiting


@pytest.mark.parametrize("signed_in", [False, True])
def test_everyone_else_sees_only_how_many(client, outsider, full_run, signed_in):
    if signed_in:
        client.force_login(outsider)

    page = page_of(client, full_run)

    assert "2 runners are going. 1 is waiting." in page
    for name in ("Runner 0", "Runner 1", "Runner 2"):
        assert name not in page


# Closed runs


@pytest.mark.parametrize("signed_in", [False, True])
def test_cancelled_run_says_so_with_the_reason_and_cannot_be_joined(
    client, outsider, run, signed_in
):
    run.cancel(reason="Storm warning")
    if signed_in:
        client.force_login(outsider)

    page = page_of(client, run)

    assert "This run is cancelled." in page
    assert "The organiser's reason: Storm warning" in page
    assert "Join run" not in page and "Join the waitlist" not in page


@pytest.mark.parametrize("joined", [False, True])
def test_started_run_cannot_be_joined_or_left(client, runner, organiser, joined):
    run = make_run(organiser, starts_at=timezone.now() - timedelta(minutes=10))
    if joined:
        Participation.objects.create(run=run, runner=runner, status="going")
    client.force_login(runner)

    page = page_of(client, run)

    assert "This run has started." in page
    assert "Join run" not in page and "Leave run" not in page


# Cost


@pytest.mark.parametrize("count", [1, 200])
@pytest.mark.parametrize(("viewer", "queries"), [
    ("anonymous", 1),  # the run with its counts and organiser
    ("organiser", 4),  # the session with its account, the run, own place, the names
])
def test_run_page_queries_stay_flat_as_runners_join(
    client, organiser, django_assert_num_queries, count, viewer, queries
):
    run = make_run(organiser, capacity=100)
    runners = User.objects.bulk_create(
        User(email=f"r{i}@example.com", display_name=f"Runner {i}") for i in range(count)
    )
    Participation.objects.bulk_create(
        Participation(run=run, runner=person, status="going" if i < 100 else "waitlisted")
        for i, person in enumerate(runners)
    )
    if viewer == "organiser":
        client.force_login(organiser)

    with django_assert_num_queries(queries):
        response = client.get(f"/runs/{run.pk}/")

    assert response.status_code == 200
