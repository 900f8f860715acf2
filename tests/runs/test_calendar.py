"""A run as a calendar file (.ics) that calendar apps import and update."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from runs.models import Run
from tests.runs.conftest import make_run
from tests.runs.test_organise import edit_form, local_input


def read_events(content):
    """The events of a calendar file, read by icalendar and by a second, strict RFC 5545
    parser (ical), which must agree on what a calendar app acts on."""
    lenient = Calendar.from_ical(content).walk("VEVENT")
    strict = IcsCalendarStream.calendar_from_ics(content.decode()).events
    assert [(e.uid, e.sequence, e.status.value, e.summary, e.dtstart) for e in strict] == [
        (str(e["UID"]), e.decoded("SEQUENCE"), str(e["STATUS"]), str(e["SUMMARY"]),
         e.decoded("DTSTART")) for e in lenient
    ]
    return lenient


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://join.example"


@pytest.fixture
def run(organiser):
    """10 km at 5:30-6:00 from a whole minute (a calendar has no smaller unit)."""
    starts_at = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return make_run(organiser, title="Sunday long run", starts_at=starts_at,
                    meeting_point="Tivoli pond", distance_km=Decimal("10"))


def download(client, run, **headers):
    response = client.get(f"/runs/{run.pk}/calendar.ics", **headers)
    assert response.status_code == 200
    return response


def event_of(client, run, **headers):
    (event,) = read_events(download(client, run, **headers).content)
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
    assert event["DESCRIPTION"] == "10 km, 5:30–6:00 /km"
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 0


def test_calendar_file_is_published_not_an_invitation(client, run):
    # A METHOD makes the file an iTIP message (RFC 5546), which would need an ORGANIZER.
    assert b"METHOD" not in download(client, run).content


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


def test_uids_differ_between_runs_and_outlive_a_new_site_address(client, run, organiser,
                                                                  settings):
    other = make_run(organiser)
    uid = event_of(client, run)["UID"]
    assert uid == f"run-{run.pk}@join.run"
    assert uid != event_of(client, other)["UID"]

    settings.SITE_URL = "https://new-home.example"
    assert event_of(client, run)["UID"] == uid


def test_moving_the_run_on_the_edit_page_raises_its_sequence(organiser_client, run):
    assert event_of(organiser_client, run).decoded("SEQUENCE") == 0

    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, title="Renamed"))
    assert event_of(organiser_client, run).decoded("SEQUENCE") == 0  # nothing to replace

    later = local_input(run.starts_at + timedelta(hours=2))
    response = organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, starts_at=later))
    assert response.status_code == 302
    moved = event_of(organiser_client, run)
    assert moved.decoded("SEQUENCE") == 1
    assert moved.decoded("DTSTART") == run.starts_at + timedelta(hours=2)

    organiser_client.post(f"/runs/{run.pk}/edit/",
                          edit_form(run, starts_at=later, meeting_point="Town hall"))
    assert event_of(organiser_client, run).decoded("SEQUENCE") == 2


def test_cancelled_run_is_cancelled_in_the_calendar(client, run):
    run.cancel(reason="Ice")
    event = event_of(client, run)
    assert event["STATUS"] == "CANCELLED"
    assert event["SUMMARY"] == "Cancelled: Sunday long run"
    assert event.decoded("SEQUENCE") == 1


def test_cancelled_says_so_in_the_readers_language(client, run):
    run.cancel(reason="Ice")
    event = event_of(client, run, HTTP_ACCEPT_LANGUAGE="sl")
    assert event["SUMMARY"] == "Odpovedano: Sunday long run"


def test_the_file_changes_only_when_the_run_does(client, run):
    an_hour_ago = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    Run.objects.filter(pk=run.pk).update(updated_at=an_hour_ago)
    first = download(client, run).content

    (event,) = read_events(first)
    assert event.decoded("DTSTAMP") == an_hour_ago.astimezone(UTC)
    assert download(client, run).content == first


def test_calendar_places_the_run_on_a_map_only_with_coordinates(client, run, organiser):
    assert "GEO" not in event_of(client, run)

    mapped = make_run(organiser, latitude=Decimal("46.05108"), longitude=Decimal("14.50513"))
    geo = event_of(client, mapped)["GEO"]
    assert (geo.latitude, geo.longitude) == (46.05108, 14.50513)


def test_calendar_of_a_missing_run_is_not_found(client, db):
    assert client.get("/runs/999999/calendar.ics").status_code == 404
