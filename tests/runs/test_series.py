"""A weekly series' page, "Join every upcoming date" and "Leave every date"."""

import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from runs import series
from runs.models import Participation, Run
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners


def make_series(organiser, dates=4, *, days=3, **fields):
    """``dates`` runs a week apart at the same local time, one series; the first in
    ``days`` days (negative: in the past)."""
    first = make_run(organiser, days=days, series=uuid.uuid4(), **fields)
    return [first] + [
        make_run(organiser, series=first.series, **{
            **fields, "starts_at": series.weeks_later(first.starts_at, week)})
        for week in range(1, dates)
    ]


def series_url(runs):
    return f"/runs/series/{runs[0].series}/"


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def date_card(text, run):
    """The part of the series page about one date."""
    start = text.index(f'id="date-{run.pk}"')
    return text[start:text.index("</li>", start)]


def short(run):
    return series.short_date(run.starts_at)


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# The page

def test_the_series_page_lists_each_date_with_its_state(client, organiser):
    runs = make_series(organiser, 4, capacity=2, title="Hill repeats")
    for person in make_runners(3):
        runs[0].join(person)
    runs[1].join(make_runners(1, prefix="one")[0])
    runs[2].cancel(reason="Race day")
    text = page(client, series_url(runs))
    assert "<h1>Hill repeats</h1>" in text
    assert series.schedule_text(runs[0].starts_at) in text
    assert short(runs[0]) in date_card(text, runs[0])
    assert "Full, 1 waiting" in date_card(text, runs[0])
    assert "1 going" in date_card(text, runs[1]) and "1 spot left" in date_card(text, runs[1])
    assert "Cancelled" in date_card(text, runs[2])
    assert "2 spots left" in date_card(text, runs[3])


def test_the_schedule_reads_every_weekday_at_the_local_time(organiser):
    run = make_run(organiser)
    local = timezone.localtime(run.starts_at)
    assert series.schedule_text(run.starts_at) == (
        f"Every {local.strftime('%A')} at {local.strftime('%H:%M')}")


def test_past_dates_read_as_past_and_list_newest_first(client, organiser, runner):
    runs = make_series(organiser, 4, days=-15, capacity=5)
    Participation.objects.create(run=runs[0], runner=runner, status="going")
    client.force_login(runner)
    text = page(client, series_url(runs))
    past, upcoming = runs[:3], runs[3:]
    assert text.index("Earlier dates") < text.index(f'id="date-{past[2].pk}"') < text.index(
        f'id="date-{past[0].pk}"')
    assert "spots left" not in date_card(text, past[0])
    assert "You were going" in date_card(text, past[0])
    assert "You're going" not in text
    assert text.index("Upcoming dates") < text.index(f'id="date-{upcoming[0].pk}"')


def test_the_viewer_sees_their_own_place_on_each_date(client, organiser, runner):
    runs = make_series(organiser, 3, capacity=1)
    runs[1].join(make_user("first@example.com", "First"))
    runs[0].join(runner)
    runs[1].join(runner)
    client.force_login(runner)
    text = page(client, series_url(runs))
    assert "You're going" in date_card(text, runs[0])
    assert "You're #1 on the waitlist" in date_card(text, runs[1])
    assert "my-status" not in date_card(text, runs[2])


def test_an_unknown_series_is_not_found(client, db):
    assert client.get(f"/runs/series/{uuid.uuid4()}/").status_code == 404
    assert client.get("/runs/series/not-a-uuid/").status_code == 404
    assert client.post(f"/runs/series/{uuid.uuid4()}/join/").status_code == 404


def test_a_run_page_of_a_series_links_to_the_series(client, organiser):
    runs = make_series(organiser, 4)
    text = page(client, runs[0].get_absolute_url())
    every = series.every_weekday(runs[0].starts_at)
    assert f'<a href="{series_url(runs)}">{every}, 3 more dates</a>' in text
    runs[3].cancel()
    assert f"{every}, 1 more date<" in page(client, runs[1].get_absolute_url())
    assert f"{every}, no more dates yet" in page(client, runs[2].get_absolute_url())


def test_a_lone_run_has_no_series_link(client, run):
    assert "/runs/series/" not in page(client, run.get_absolute_url())


def test_a_visitor_is_offered_to_log_in_first_and_gets_no_cookie(client, organiser):
    runs = make_series(organiser, 2)
    response = client.get(series_url(runs))
    text = unescape(response.content.decode())
    assert f'href="/accounts/login/?next=/runs/series/{runs[0].series}/"' in text
    assert "Join every upcoming date" in text
    assert "csrfmiddlewaretoken" not in text
    assert not response.cookies


def test_the_page_reads_the_same_number_of_queries_for_four_or_forty_dates(
        client, organiser, runner):
    def queries(dates):
        runs = make_series(organiser, dates, capacity=3)
        for run in runs:
            run.join(runner)
        with CaptureQueriesContext(connection) as captured:
            page(client, series_url(runs))
        return len(captured)

    client.force_login(runner)
    assert queries(4) == queries(40)


# Join every upcoming date

def test_join_every_upcoming_date_joins_each_and_waitlists_where_full(client, organiser,
                                                                     runner):
    runs = make_series(organiser, 3, capacity=1)
    runs[1].join(make_user("early@example.com", "Early"))
    client.force_login(runner)
    response = client.post(f"{series_url(runs)}join/", follow=True)
    assert response.redirect_chain == [(series_url(runs), 302)]
    said = messages_of(response)
    assert f"You're going on 2 dates: {short(runs[0])}; {short(runs[2])}." in said
    assert any(m.startswith(f"Full, so you're on the waitlist of 1 date: {short(runs[1])} "
                            "(#1).") for m in said)
    places = {p.run_id: p.status for p in Participation.objects.filter(runner=runner)}
    assert places == {runs[0].pk: "going", runs[1].pk: "waitlisted", runs[2].pk: "going"}
    assert mail.outbox == []  # nobody else's place changed


def test_joining_again_says_you_were_already_in_and_skips_cancelled_and_past_dates(
        client, organiser, runner):
    runs = make_series(organiser, 4, days=-4, capacity=1)
    past, going, waiting, cancelled = runs
    waiting.join(make_user("early@example.com", "Early"))
    going.join(runner)
    waiting.join(runner)
    cancelled.cancel()
    client.force_login(runner)
    said = messages_of(client.post(f"{series_url(runs)}join/", follow=True))
    assert said == [
        f"You were already going on 1 date: {short(going)}.",
        f"You were already on the waitlist of 1 date: {short(waiting)} (#1).",
        f"Not joined on {short(cancelled)}: This run has been cancelled.",
    ]
    assert not past.participations.exists()
    assert not cancelled.participations.exists()


def test_each_date_keeps_its_own_place_and_waitlist(organiser, runner):
    runs = make_series(organiser, 2, capacity=1)
    other = make_user("other@example.com", "Other")
    series.join_all(runs[0].series, other)
    outcomes = series.join_all(runs[0].series, runner)
    assert [(o.result, o.position) for o in outcomes] == [("waitlisted", 1), ("waitlisted", 1)]
    runs[1].leave(other)
    assert runs[1].participations.get(runner=runner).is_going
    assert not runs[0].participations.get(runner=runner).is_going


def test_joining_every_date_needs_a_post_and_an_account(client, organiser):
    runs = make_series(organiser, 2)
    assert client.get(f"{series_url(runs)}join/").status_code == 405
    response = client.post(f"{series_url(runs)}join/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={series_url(runs)}"
    assert not Participation.objects.exists()


def test_the_organiser_is_not_offered_to_join_their_own_series(organiser_client, organiser):
    runs = make_series(organiser, 2)
    assert "Join every upcoming date" not in page(organiser_client, series_url(runs))
    response = organiser_client.post(f"{series_url(runs)}join/")
    assert response.status_code == 409
    assert "You organise this series" in unescape(response.content.decode())
    assert not Participation.objects.exists()


def test_a_club_co_organiser_is_not_offered_to_join_either(client, organiser):
    co_organiser = make_user("co@example.com", "Dora")
    club = make_club(organiser, co_organisers=[co_organiser])
    runs = make_series(organiser, 2, club=club)
    client.force_login(co_organiser)
    text = page(client, series_url(runs))
    assert "Join every upcoming date" not in text
    assert "Add more weeks" in text


def test_a_runner_on_every_date_is_told_so(client, organiser, runner):
    runs = make_series(organiser, 2)
    series.join_all(runs[0].series, runner)
    client.force_login(runner)
    text = page(client, series_url(runs))
    assert "Join every upcoming date" not in text
    assert "You're on every upcoming date, going or on its waitlist." in text


# Leave every date

def test_leave_every_date_leaves_the_upcoming_ones_and_keeps_the_past(client, organiser,
                                                                     runner):
    runs = make_series(organiser, 3, days=-4)
    Participation.objects.create(run=runs[0], runner=runner, status="going")
    series.join_all(runs[0].series, runner)
    client.force_login(runner)
    response = client.post(f"{series_url(runs)}leave/", follow=True)
    assert messages_of(response) == [f"You left 2 dates: {short(runs[1])}; {short(runs[2])}."]
    assert list(Participation.objects.filter(runner=runner).values_list("run", flat=True)) == [
        runs[0].pk]


def test_leaving_every_date_also_leaves_a_cancelled_one(organiser, runner):
    runs = make_series(organiser, 2)
    series.join_all(runs[0].series, runner)
    runs[1].cancel()
    series.leave_all(runs[0].series, runner)
    assert not Participation.objects.filter(runner=runner).exists()


def test_whoever_moves_up_gets_one_email_listing_their_dates(client, organiser, runner):
    runs = make_series(organiser, 3, capacity=1, title="Hill repeats")
    waiting, other = make_runners(2)
    series.join_all(runs[0].series, runner)
    series.join_all(runs[0].series, waiting)
    runs[2].join(other)  # waits behind the runner on the third date
    client.force_login(runner)
    client.post(f"{series_url(runs)}leave/", {"confirm": "yes"})
    (email,) = [m for m in mail.outbox if m.to == [waiting.email]]
    assert email.subject == "You're going: Hill repeats (3 dates)"
    for run in runs:
        assert f"http://127.0.0.1:8000/runs/{run.pk}/" in email.body
    assert f"http://127.0.0.1:8000{series_url(runs)}" in email.body
    assert [m.to for m in mail.outbox] == [[waiting.email]]  # "other" is still waiting
    assert all(run.participations.get(runner=waiting).is_going for run in runs)


def test_leaving_asks_first_when_others_wait_for_your_places(client, organiser, runner):
    runs = make_series(organiser, 3, capacity=1)
    series.join_all(runs[0].series, runner)
    for run in runs[:2]:
        run.join(make_user(f"w{run.pk}@example.com", "Waiting"))
    client.force_login(runner)
    response = client.post(f"{series_url(runs)}leave/")
    text = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Others are waiting for a place on 2 of your dates" in text
    assert text.count("1 person is waiting") == 2
    assert 'name="confirm" value="yes"' in text
    assert Participation.objects.filter(runner=runner).count() == 3
    assert mail.outbox == []


def test_leaving_without_anyone_waiting_asks_nothing(client, organiser, runner):
    runs = make_series(organiser, 2, capacity=3)
    series.join_all(runs[0].series, runner)
    client.force_login(runner)
    assert client.post(f"{series_url(runs)}leave/").status_code == 302
    assert not Participation.objects.filter(runner=runner).exists()


def test_leaving_a_series_you_never_joined_says_so(client, organiser, runner):
    runs = make_series(organiser, 2)
    client.force_login(runner)
    response = client.post(f"{series_url(runs)}leave/", follow=True)
    assert messages_of(response) == ["You were on none of the upcoming dates."]


def test_leaving_every_date_needs_a_post_and_an_account(client, organiser):
    runs = make_series(organiser, 2)
    assert client.get(f"{series_url(runs)}leave/").status_code == 405
    response = client.post(f"{series_url(runs)}leave/")
    assert response["Location"] == f"/accounts/login/?next={series_url(runs)}"


def test_a_date_that_started_meanwhile_is_not_joined(organiser, runner):
    runs = make_series(organiser, 2)
    now = runs[0].starts_at + timedelta(minutes=1)
    outcomes = series.join_all(runs[0].series, runner, now=now)
    assert [o.run for o in outcomes] == [runs[1]]


@pytest.mark.parametrize("path", ["join/", "leave/"])
def test_a_posted_form_without_its_csrf_token_is_refused(organiser, runner, path):
    from django.test import Client

    runs = make_series(organiser, 2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(runner)
    assert client.post(f"{series_url(runs)}{path}").status_code == 403
    assert not Participation.objects.exists()


def test_every_date_of_a_series_shares_one_series_and_no_other_run_does(organiser):
    runs = make_series(organiser, 3)
    make_run(organiser)
    assert list(series.dates_of(runs[0].series)) == runs
    assert Run.objects.count() == 4
