"""Organisers create, edit, repeat and cancel runs."""

from datetime import datetime, timedelta
from html import unescape

import pytest
from django.core import mail
from django.utils import timezone

from runs.models import Run
from tests.runs.conftest import make_run, make_runners


def local_input(moment):
    """How a browser's datetime-local field sends a time: the site's zone, no offset."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def next_week_at_six():
    day = timezone.localdate() + timedelta(days=7)
    return timezone.make_aware(datetime(day.year, day.month, day.day, 18, 0))


def run_form(**overrides):
    return {
        "title": "Tuesday river loop",
        "starts_at": local_input(next_week_at_six()),
        "meeting_point": "Cobblers' Bridge",
        "latitude": "",
        "longitude": "",
        "distance_km": "7.5",
        "pace_min": "5:30",
        "pace_max": "6:15",
        "capacity": "12",
        "description": "Along the river.",
        "repeat_weeks": "0",
        **overrides,
    }


def edit_form(run, **overrides):
    values = run_form(
        title=run.title, starts_at=local_input(run.starts_at), meeting_point=run.meeting_point,
        distance_km=str(run.distance_km), pace_min="5:30", pace_max="6:00",
        capacity="" if run.capacity is None else str(run.capacity),
    )
    values.pop("repeat_weeks")
    return {**values, **overrides}


def test_creating_a_run_needs_an_account(client, db):
    response = client.get("/runs/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/runs/new/")


def test_form_uses_plain_labels_and_says_why(organiser_client):
    page = unescape(organiser_client.get("/runs/new/").content.decode())
    for label in ("Title", "Starts at", "Meeting point", "Distance (km)", "Capacity",
                  "Repeat weekly for N more weeks"):
        assert f">{label}</label>" in page
    assert "Empty means no limit" in page
    assert "Create run" in page


def test_organiser_creates_a_run(organiser_client, organiser):
    response = organiser_client.post("/runs/new/", run_form())
    run = Run.objects.get()
    assert response["Location"] == f"/runs/{run.pk}/"
    assert run.organiser == organiser
    assert run.starts_at == next_week_at_six()
    assert (run.pace_min, run.pace_max, run.capacity) == (330, 375, 12)
    assert run.series is None
    page = organiser_client.get(response["Location"]).content.decode()
    assert "Your run is created." in page
    assert "5:30–6:15 /km" in page


def test_repeat_weekly_creates_a_dated_series(organiser_client):
    organiser_client.post("/runs/new/", run_form(repeat_weeks="3"))
    runs = list(Run.objects.order_by("starts_at"))
    assert len(runs) == 4
    assert len({run.series for run in runs}) == 1 and runs[0].series
    # Same local time every week, across a daylight-saving change too.
    assert {timezone.localtime(run.starts_at).strftime("%a %H:%M") for run in runs} == {
        timezone.localtime(runs[0].starts_at).strftime("%a %H:%M")}
    assert [(b.starts_at - a.starts_at).days for a, b in zip(runs, runs[1:], strict=False)] in (
        [7, 7, 7], [6, 7, 7], [7, 6, 7], [7, 7, 6])


def test_series_dates_are_joined_separately(organiser_client, runner):
    organiser_client.post("/runs/new/", run_form(repeat_weeks="1"))
    first, second = Run.objects.order_by("starts_at")
    first.join(runner)
    assert not second.participations.exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("starts_at", "2020-01-01T10:00", "Pick a time in the future."),
    ("starts_at", "tomorrow", "Enter a valid date/time."),
    ("distance_km", "0.4", "greater than or equal to 0.5"),
    ("distance_km", "251", "less than or equal to 250"),
    ("pace_min", "1:59", "between 2:00 and 15:00 per km"),
    ("pace_max", "15:01", "between 2:00 and 15:00 per km"),
    ("pace_min", "fast", "Write a pace as minutes:seconds per km, like 5:30."),
    ("pace_min", "6:30", "The slowest pace must not be faster than the fastest pace."),
    ("capacity", "0", "greater than or equal to 1"),
    ("capacity", "1001", "less than or equal to 1000"),
    ("latitude", "91", "less than or equal to 90"),
    ("longitude", "-181", "greater than or equal to -180"),
    ("latitude", "46.05", "Give both latitude and longitude, or neither."),
    ("title", "x" * 101, "at most 100 characters"),
    ("title", "Evening\nrun", "Use one line, without control characters."),
    ("meeting_point", "Bridge\r\nBcc: x@example.com", "Use one line"),
    ("starts_at", "2099-01-01T10:00", "Runs can be planned at most two years ahead."),
    ("starts_at", "9999-12-28T10:00", "Runs can be planned at most two years ahead."),
    ("meeting_point", "", "This field is required."),
    ("description", "x" * 2001, "at most 2000 characters"),
    ("repeat_weeks", "13", "less than or equal to 12"),
])
def test_bad_input_is_refused_with_a_message(organiser_client, field, value, message):
    response = organiser_client.post("/runs/new/", run_form(**{field: value}))
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert not Run.objects.exists()


def test_one_pace_is_a_single_pace_and_none_is_every_pace(organiser_client):
    organiser_client.post("/runs/new/", run_form(pace_min="", pace_max="5:45"))
    organiser_client.post("/runs/new/", run_form(pace_min="", pace_max=""))
    single, any_pace = Run.objects.order_by("pk")
    assert (single.pace_min, single.pace_max) == (345, 345)
    assert any_pace.pace_range == ""


def test_long_coordinates_from_a_map_app_are_rounded(organiser_client):
    organiser_client.post("/runs/new/", run_form(latitude="46.0510812345",
                                                 longitude="14.5051298765"))
    run = Run.objects.get()
    assert (str(run.latitude), str(run.longitude)) == ("46.05108", "14.50513")


def test_only_the_organiser_may_edit(client, outsider, run):
    client.force_login(outsider)
    assert client.get(f"/runs/{run.pk}/edit/").status_code == 403
    assert client.post(f"/runs/{run.pk}/edit/", edit_form(run, title="Mine")).status_code == 403
    run.refresh_from_db()
    assert run.title == "Tuesday river loop"


def test_editing_the_text_emails_nobody(organiser_client, run, runner):
    run.join(runner)
    response = organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, title="New name"))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.title == "New name"
    assert not mail.outbox


def test_new_time_emails_everyone_going_or_waiting(organiser_client, run, outsider):
    people = make_runners(3)
    for person in people:
        run.join(person)
    later = run.starts_at + timedelta(hours=1)
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, starts_at=local_input(later)))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert outsider.email not in [m.to[0] for m in mail.outbox]
    email = mail.outbox[0]
    assert email.subject == "New time: Tuesday river loop"
    assert timezone.localtime(later).strftime("%H:%M") in email.body


def test_new_meeting_point_says_so(organiser_client, run, runner):
    run.join(runner)
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, meeting_point="Town hall"))
    (email,) = mail.outbox
    assert email.subject == "New meeting point: Tuesday river loop"
    assert "Town hall" in email.body


def test_lower_capacity_moves_latest_joiners_back_and_tells_them(organiser_client, organiser):
    run = make_run(organiser, capacity=3)
    people = make_runners(4)
    for person in people:
        run.join(person)
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, capacity="1"))
    going = [p.runner for p in run.participations.filter(status="going")]
    assert going == [people[0]]
    assert [p.runner for p in run.participations.filter(status="waitlisted").in_order()] == \
        people[1:]
    told = {m.to[0]: m for m in mail.outbox}
    assert set(told) == {people[1].email, people[2].email}
    assert "You are #1 on it" in told[people[1].email].body
    assert "You are #2 on it" in told[people[2].email].body


def test_higher_capacity_promotes_and_tells(organiser_client, run):
    people = make_runners(3)
    for person in people:
        run.join(person)
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, capacity=""))
    assert run.participations.filter(status="going").count() == 3
    (email,) = mail.outbox
    assert email.to == [people[2].email]


def test_bad_edit_keeps_what_was_saved(organiser_client, run):
    response = organiser_client.post(f"/runs/{run.pk}/edit/",
                                     edit_form(run, title="Changed", distance_km="0"))
    assert response.status_code == 400
    run.refresh_from_db()
    assert (run.title, run.distance_km) == ("Tuesday river loop", 8)


def test_started_or_cancelled_runs_cannot_be_edited(organiser_client, organiser, run):
    started = make_run(organiser, days=-1)
    response = organiser_client.get(f"/runs/{started.pk}/edit/")
    assert response.status_code == 409
    assert "has started and can no longer be changed" in response.content.decode()
    run.cancel()
    assert organiser_client.get(f"/runs/{run.pk}/edit/").status_code == 409


def test_cancelling_keeps_the_run_visible_and_emails_its_runners(organiser_client, run,
                                                                  outsider):
    people = make_runners(3)
    for person in people:
        run.join(person)
    response = organiser_client.post(f"/runs/{run.pk}/cancel/",
                                     {"reason": "Storm warning", "confirm": "yes"})
    assert response["Location"] == f"/runs/{run.pk}/"
    run.refresh_from_db()
    assert run.is_cancelled and run.cancel_reason == "Storm warning"
    page = organiser_client.get(f"/runs/{run.pk}/").content.decode()
    assert "This run is cancelled." in page and "Storm warning" in page
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert mail.outbox[0].subject == "Cancelled: Tuesday river loop"
    assert "Storm warning" in mail.outbox[0].body


def test_cancelling_the_rest_of_a_series(organiser_client, organiser, runner):
    organiser_client.post("/runs/new/", run_form(repeat_weeks="3"))
    runs = list(Run.objects.order_by("starts_at"))
    runs[0].join(runner)
    runs[3].join(runner)
    organiser_client.post(f"/runs/{runs[1].pk}/cancel/", {"scope": "later", "confirm": "yes"})
    assert [Run.objects.get(pk=r.pk).is_cancelled for r in runs] == [False, True, True, True]
    (email,) = mail.outbox  # the runner joined one of the cancelled dates
    assert email.subject == "Cancelled: Tuesday river loop"


def test_only_the_organiser_may_cancel(client, outsider, run):
    client.force_login(outsider)
    assert client.post(f"/runs/{run.pk}/cancel/").status_code == 403
    assert client.post(f"/runs/{run.pk}/cancel/", {"confirm": "yes"}).status_code == 403
    run.refresh_from_db()
    assert not run.is_cancelled


def test_cancel_is_post_only_and_a_long_reason_is_refused(organiser_client, run):
    assert organiser_client.get(f"/runs/{run.pk}/cancel/").status_code == 405
    response = organiser_client.post(f"/runs/{run.pk}/cancel/",
                                     {"reason": "x" * 201, "confirm": "yes"})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    run.refresh_from_db()
    assert not run.is_cancelled


def test_a_cancel_reason_on_two_lines_is_refused(organiser_client, run):
    response = organiser_client.post(f"/runs/{run.pk}/cancel/",
                                     {"reason": "Ice\nBcc: x", "confirm": "yes"})
    assert response.status_code == 400
    run.refresh_from_db()
    assert not run.is_cancelled


def test_a_run_cancelled_meanwhile_is_not_cancelled_twice(run, runner):
    stale = Run.objects.get(pk=run.pk)
    assert run.cancel(reason="Storm")
    assert not stale.cancel(reason="Again")
    run.refresh_from_db()
    assert run.cancel_reason == "Storm"
