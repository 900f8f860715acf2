"""A run as a calendar file (.ics) that calendar apps import and update."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from icalendar import Calendar

from tests.runs.conftest import make_run


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://join.example"


@pytest.fixture
def run(organiser):
    """10 km at 5:30-6:00 from a whole minute (a calendar has no smaller unit)."""
    starts_at = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return make_run(organiser, title="Sunday long run", starts_at=starts_at,
                    meeting_point="Tivoli pond", distance_km=Decimal("10"))


def download(client, run):
    response = client.get(f"/runs/{run.pk}/calendar.ics")
    assert response.status_code == 200
    return response


def event_of(client, run):
    (event,) = Calendar.from_ical(download(client, run).content).walk("VEVENT")
    return event


def test_calendar_file_is_a_download(client, run):
    response = download(client, run)
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".ics" in response["Content-Disposition"]


def test_calendar_event_describes_the_run(client, run):
    event = event_of(client, run)

    start = event.decoded("DTSTART")
    assert start == run.starts_at
    assert start.utcoffset() == timedelta(0)
    # 10 km at the slowest pace, 6:00 per km.
    assert event.decoded("DTEND") - start == timedelta(hours=1)
    assert event["SUMMARY"] == "Sunday long run"
    assert event["LOCATION"] == "Tivoli pond"
    assert event["URL"] == f"https://join.example/runs/{run.pk}/"
    assert event["STATUS"] == "CONFIRMED"


def test_calendar_uid_stays_the_same_across_downloads_and_edits(client, run):
    first = event_of(client, run)["UID"]
    assert event_of(client, run)["UID"] == first

    run.title = "Sunday longer run"
    run.starts_at += timedelta(hours=1)
    run.save()

    edited = event_of(client, run)
    assert edited["UID"] == first
    assert edited["SUMMARY"] == "Sunday longer run"
    assert edited.decoded("DTSTART") == run.starts_at


def test_uids_differ_between_runs_and_name_the_site(client, run, organiser):
    other = make_run(organiser)
    uid = event_of(client, run)["UID"]
    assert uid != event_of(client, other)["UID"]
    assert uid.endswith("@join.example")


def test_cancelled_run_is_cancelled_in_the_calendar(client, run):
    run.cancel(reason="Ice")
    assert event_of(client, run)["STATUS"] == "CANCELLED"


def test_calendar_places_the_run_on_a_map_only_with_coordinates(client, run, organiser):
    assert "GEO" not in event_of(client, run)

    mapped = make_run(organiser, latitude=Decimal("46.05108"), longitude=Decimal("14.50513"))
    geo = event_of(client, mapped)["GEO"]
    assert (geo.latitude, geo.longitude) == (46.05108, 14.50513)


def test_calendar_of_a_missing_run_is_not_found(client, db):
    assert client.get("/runs/999999/calendar.ics").status_code == 404
