""""Add more weeks": a series goes on after its last date, at most 52 upcoming dates."""

from datetime import datetime, timedelta
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from clubs import services as club_services
from clubs.models import Organiser
from runs import series
from runs.models import Run
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.runs.test_reminders import reminder_tasks
from tests.runs.test_series import make_series, messages_of, series_url
from tests.runs.test_series_edit import local_time, tuesdays_across_the_clock_change


def add_url(runs):
    return f"{series_url(runs)}add-weeks/"


def dates(runs):
    return list(series.dates_of(runs[0].series))


def test_the_organiser_adds_four_weeks_after_the_last_date(organiser_client, organiser):
    runs = make_series(organiser, 2, capacity=8, title="Hill repeats")
    Run.objects.filter(pk=runs[1].pk).update(meeting_point="Town hall", description="Hills.")
    response = organiser_client.post(add_url(runs), {"weeks": "4"}, follow=True)
    assert response.redirect_chain == [(series_url(runs), 302)]
    added = dates(runs)[2:]
    assert len(added) == 4
    assert messages_of(response) == [
        f"4 dates added, up to {series.short_date(added[-1].starts_at)}. Runners join the "
        "new dates themselves."]
    for week, run in enumerate(added, start=1):
        assert run.starts_at == series.weeks_later(runs[1].starts_at, week)
        assert (run.title, run.meeting_point, run.description, run.capacity, run.organiser,
                run.is_cancelled, run.sequence) == (
            "Hill repeats", "Town hall", "Hills.", 8, organiser, False, 0)
        assert reminder_tasks(run)
    assert mail.outbox == []


def test_new_weeks_keep_the_local_time_across_the_clock_change(organiser):
    for month in (3, 10):
        runs = make_series(organiser, 1, starts_at=tuesdays_across_the_clock_change(month))
        series.add_weeks(runs[0].series, 3)
        added = dates(runs)
        assert [local_time(run) for run in added] == ["Tue 18:30"] * 4
        assert len({timezone.localtime(run.starts_at).utcoffset() for run in added}) == 2


def test_a_series_whose_dates_are_past_goes_on_from_the_next_week(organiser):
    runs = make_series(organiser, 2, days=-20)
    now = timezone.now()
    added = series.add_weeks(runs[0].series, 2, now=now)
    assert now < added[0].starts_at <= now + timedelta(days=7)
    assert local_time(added[0]) == local_time(runs[0])
    assert added[1].starts_at == series.weeks_later(added[0].starts_at, 1)


def test_a_series_has_at_most_52_upcoming_dates(organiser_client, organiser):
    runs = make_series(organiser, 50)
    response = organiser_client.post(add_url(runs), {"weeks": "3"})
    assert response.status_code == 400
    assert ("A series can have at most 52 upcoming dates, so you can add 2 more weeks now."
            in unescape(response.content.decode()))
    assert len(dates(runs)) == 50
    organiser_client.post(add_url(runs), {"weeks": "2"})
    assert len(dates(runs)) == 52
    text = unescape(organiser_client.get(series_url(runs)).content.decode())
    assert "This series already has 52 upcoming dates" in text
    assert 'name="weeks"' not in text
    with pytest.raises(series.SeriesRefused, match="already has 52 upcoming dates"):
        series.add_weeks(runs[0].series, 1)


def test_cancelled_and_past_dates_do_not_count_towards_the_limit(organiser):
    runs = make_series(organiser, 52, days=-8)
    runs[-1].cancel()
    assert series.room_left(runs[0].series) == 3  # two past, one cancelled
    assert len(series.add_weeks(runs[0].series, 3)) == 3


@pytest.mark.parametrize(("weeks", "message"), [
    ("", "This field is required."),
    ("four", "Enter a whole number."),
    ("0", "greater than or equal to 1"),
    ("53", "less than or equal to 52"),
])
def test_bad_input_is_refused_with_a_message(organiser_client, organiser, weeks, message):
    runs = make_series(organiser, 2)
    response = organiser_client.post(add_url(runs), {"weeks": weeks})
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert len(dates(runs)) == 2


def test_the_form_is_on_the_series_page_and_its_own_address(organiser_client, organiser):
    runs = make_series(organiser, 2)
    for url in (series_url(runs), add_url(runs)):
        text = unescape(organiser_client.get(url).content.decode())
        assert "<h2 id=\"add-weeks\">Add more weeks</h2>" in text
        assert f'action="{add_url(runs)}"' in text
        assert f'href="/runs/{runs[0].pk}/edit/"' in text


def test_only_the_series_organisers_may_add_weeks(client, organiser, outsider):
    runs = make_series(organiser, 2)
    assert client.get(add_url(runs))["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.get(add_url(runs)).status_code == 403
    assert client.post(add_url(runs), {"weeks": "1"}).status_code == 403
    text = client.get(series_url(runs)).content.decode()
    assert "Add more weeks" not in text and "/edit/" not in text
    assert len(dates(runs)) == 2


def test_an_unknown_series_is_not_found(organiser_client, db):
    import uuid

    assert organiser_client.get(f"/runs/series/{uuid.uuid4()}/add-weeks/").status_code == 404


def test_a_post_without_its_csrf_token_adds_nothing(organiser):
    runs = make_series(organiser, 2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    assert client.post(add_url(runs), {"weeks": "1"}).status_code == 403
    assert len(dates(runs)) == 2


def test_a_club_co_organiser_adds_weeks_and_followers_hear_of_them(client, organiser):
    co_organiser = make_user("co@example.com", "Dora")
    follower = make_user("follower@example.com", "Eva")
    club = make_club(organiser, co_organisers=[co_organiser])
    club_services.follow(club, follower)
    runs = make_series(organiser, 1, club=club, title="Club hills")
    client.force_login(co_organiser)
    assert client.post(add_url(runs), {"weeks": "2"}).status_code == 302
    assert [run.club for run in dates(runs)] == [club] * 3
    (digest,) = [m for m in mail.outbox if m.to == [follower.email]]
    assert "Club hills" in digest.body


def test_a_former_club_organiser_may_not_add_weeks(client, organiser):
    co_organiser = make_user("co@example.com", "Dora")
    club = make_club(organiser, co_organisers=[co_organiser])
    runs = make_series(organiser, 1, club=club)
    Organiser.objects.filter(club=club, user=co_organiser).delete()
    client.force_login(co_organiser)
    assert client.post(add_url(runs), {"weeks": "2"}).status_code == 403


def test_a_closed_club_gets_no_more_dates(organiser):
    club = make_club(organiser)
    runs = make_series(organiser, 1, club=club)
    club.closed_at = timezone.now()
    club.save()
    with pytest.raises(series.SeriesRefused, match="it has closed"):
        series.add_weeks(runs[0].series, 1, by=organiser)
    assert len(dates(runs)) == 1


def test_no_date_more_than_two_years_ahead(organiser):
    far = timezone.now() + timedelta(days=2 * 365 - 10)
    runs = make_series(organiser, 1, starts_at=far.replace(second=0, microsecond=0))
    with pytest.raises(series.SeriesRefused, match="two years ahead"):
        series.add_weeks(runs[0].series, 2)


def test_adding_weeks_copies_a_cancelled_last_date_as_open(organiser):
    runs = make_series(organiser, 2)
    runs[1].cancel(reason="Ice")
    (added,) = series.add_weeks(runs[0].series, 1)
    assert (added.is_cancelled, added.cancel_reason) == (False, "")
    assert added.starts_at == series.weeks_later(runs[1].starts_at, 1)
    assert isinstance(added.starts_at, datetime)
