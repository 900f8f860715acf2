""""Organise again": a new-run form filled in from an earlier run the person organises."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from runs.views import next_same_weekday
from tests.clubs.conftest import make_club, make_club_run, text
from tests.conftest import make_user
from tests.runs.conftest import make_run


def at(day, hour, minute=0):
    """A wall-clock time in the site's zone."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def form_of(client, run_id):
    response = client.get(f"/runs/new/?from={run_id}")
    assert response.status_code == 200
    return response.context["form"], text(response)


def test_the_form_is_filled_in_from_the_earlier_run(organiser_client, organiser):
    run = make_run(organiser, days=-20, title="Castle hill repeats", meeting_point="Castle gate",
                   latitude=Decimal("46.04900"), longitude=Decimal("14.50800"),
                   distance_km=Decimal("6.5"), pace_min=300, pace_max=330, capacity=15,
                   description="Six times up the hill.")
    form, page = form_of(organiser_client, run.pk)
    initial = form.initial
    assert initial["title"] == "Castle hill repeats"
    assert initial["meeting_point"] == "Castle gate"
    assert (initial["latitude"], initial["longitude"]) == (Decimal("46.049"), Decimal("14.508"))
    assert initial["distance_km"] == Decimal("6.5")
    assert (initial["pace_min"], initial["pace_max"], initial["capacity"]) == (300, 330, 15)
    assert initial["description"] == "Six times up the hill."
    assert 'value="Castle hill repeats"' in page
    assert 'value="5:00"' in page and 'value="5:30"' in page
    assert "Filled in from “Castle hill repeats”: check the date and time" in page


def test_the_start_is_the_same_local_time_on_the_next_same_weekday(organiser_client,
                                                                   organiser):
    earlier = timezone.localtime(timezone.now() - timedelta(days=30)).replace(
        hour=18, minute=30, second=0, microsecond=0)
    run = make_run(organiser, starts_at=earlier)
    form, _ = form_of(organiser_client, run.pk)
    starts_at = timezone.localtime(form.initial["starts_at"])
    assert (starts_at.weekday(), starts_at.hour, starts_at.minute) == (earlier.weekday(), 18, 30)
    assert timezone.now() + timedelta(hours=1) <= starts_at
    assert starts_at <= timezone.now() + timedelta(days=8)


@pytest.mark.parametrize(("now_at", "expected"), [
    ((2027, 3, 2, 9, 0), (2027, 3, 2, 18, 30)),    # the same weekday, later today
    ((2027, 3, 2, 17, 45), (2027, 3, 9, 18, 30)),  # less than an hour ahead: next week
    ((2027, 3, 3, 9, 0), (2027, 3, 9, 18, 30)),    # the day after: six days on
    ((2027, 3, 24, 9, 0), (2027, 3, 30, 18, 30)),  # across the change to summer time
    ((2027, 3, 1, 23, 30), (2027, 3, 2, 18, 30)),  # the evening before, an hour makes a day
])
def test_next_same_weekday(now_at, expected):
    tuesday = at(datetime(2026, 11, 3), 18, 30)
    now = timezone.make_aware(datetime(*now_at))
    assert next_same_weekday(tuesday, now=now) == timezone.make_aware(datetime(*expected))


def test_an_upcoming_run_is_copied_a_week_after_it(organiser_client, organiser):
    run = make_run(organiser, days=3)
    form, _ = form_of(organiser_client, run.pk)
    copied, original = (timezone.localtime(moment) for moment in (form.initial["starts_at"],
                                                                  run.starts_at))
    assert copied.date() == original.date() + timedelta(weeks=1)
    assert copied.time() == original.time()


def test_the_new_run_is_only_created_when_the_form_is_sent(organiser_client, organiser):
    from runs.models import Run

    run = make_run(organiser, days=-7)
    form_of(organiser_client, run.pk)
    assert Run.objects.count() == 1


def test_a_run_page_offers_organise_again_to_its_organisers(organiser_client, client,
                                                            organiser, outsider):
    for run in (make_run(organiser), make_run(organiser, days=-3),
                make_run(organiser, cancelled_at=timezone.now())):
        assert f'href="/runs/new/?from={run.pk}"' in text(organiser_client.get(f"/runs/{run.pk}/"))
    client.force_login(outsider)
    assert "Organise again" not in text(client.get(f"/runs/{run.pk}/"))


def test_a_run_the_person_does_not_manage_gives_the_empty_form(client, organiser, outsider):
    run = make_run(organiser, title="Not yours")
    client.force_login(outsider)
    form, page = form_of(client, run.pk)
    assert "title" not in form.initial
    assert "Not yours" not in page
    assert "Filled in from" not in page


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.5", "999999", "9" * 40, "١٢", "%00"])
def test_a_bad_value_gives_the_empty_form(organiser_client, organiser, value):
    make_run(organiser, title="Mine")
    form, page = form_of(organiser_client, value)
    assert "title" not in form.initial
    assert "Filled in from" not in page


def test_a_club_run_is_copied_with_its_club(client, organiser):
    co = make_user("co@example.com", "Dora")
    club = make_club(organiser, co_organisers=[co])
    run = make_club_run(club, organiser, days=-2)
    client.force_login(co)
    form, page = form_of(client, run.pk)
    assert form.initial["club"] == club.slug
    assert f'<option value="{club.slug}" selected>' in page


def test_a_closed_clubs_run_is_copied_as_ones_own(client, organiser):
    from clubs import services as club_services

    club = make_club(organiser)
    run = make_club_run(club, organiser, days=-2, title="Pond loop")
    club_services.close(club, by=organiser)
    client.force_login(organiser)
    form, _ = form_of(client, run.pk)
    assert form.initial["title"] == "Pond loop"
    assert "club" not in form.initial


def test_sending_the_filled_form_creates_a_new_run(organiser_client, organiser):
    from runs.models import Run

    run = make_run(organiser, days=-7, capacity=10)
    form, _ = form_of(organiser_client, run.pk)
    data = {name: form[name].value() for name in form.fields}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    data["starts_at"] = timezone.localtime(form.initial["starts_at"]).strftime("%Y-%m-%dT%H:%M")
    data["pace_min"], data["pace_max"] = "5:30", "6:00"
    response = organiser_client.post("/runs/new/", data)
    assert response.status_code == 302
    new = Run.objects.exclude(pk=run.pk).get()
    assert (new.title, new.capacity, new.meeting_point) == (run.title, 10, run.meeting_point)
    assert new.series is None
