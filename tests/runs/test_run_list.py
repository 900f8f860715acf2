"""The home page and the run list: what is listed, in which order, filters and paging."""

import html
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from runs.models import Participation, Run
from runs.views import HOME_RUNS
from tests.runs.conftest import make_run, make_runners

LJUBLJANA = ZoneInfo("Europe/Ljubljana")


def text(response):
    return html.unescape(response.content.decode())


def titles(response):
    """The run titles on a page, top to bottom."""
    return re.findall(r'class="run-title"><a href="[^"]+">([^<]+)</a>', text(response))


def cards(response):
    """Each run's card on a page, by title."""
    found = re.findall(r'<li class="run-card.*?</li>', text(response), flags=re.DOTALL)
    return dict(zip(titles(response), found, strict=True))


def local(days, hour, minute=0):
    """An aware start ``days`` from today at a wall-clock time in Ljubljana."""
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=LJUBLJANA)


def make_runs(organiser, count, **fields):
    """``count`` runs a day apart, titled "Run 00", "Run 01", ... in start order."""
    return Run.objects.bulk_create(
        Run(organiser=organiser, title=f"Run {i:02d}", meeting_point="Tivoli",
            starts_at=timezone.now() + timedelta(days=1 + i), distance_km=Decimal("10"),
            **fields)
        for i in range(count)
    )


# Home


def test_home_says_what_join_run_is(client, db):
    page = text(client.get("/"))
    assert ("join run is where run clubs post their group runs and runners join them: "
            "free, simple, and without tracking.") in page


def test_home_shows_the_next_upcoming_runs_soonest_first(client, organiser):
    make_run(organiser, title="Yesterday's run", days=-1)
    make_run(organiser, title="Called off", days=1).cancel()
    for days in (9, 2, 5, 7, 3, 8, 4):
        make_run(organiser, title=f"In {days} days", days=days)

    expected = ["In 2 days", "In 3 days", "In 4 days", "In 5 days", "In 7 days", "In 8 days"]
    assert titles(client.get("/")) == expected[:HOME_RUNS]


def test_home_without_runs_says_so(client, db):
    assert "No upcoming runs yet." in text(client.get("/"))


# What a run looks like in the list


def test_run_list_shows_upcoming_runs_in_start_order(client, organiser):
    make_run(organiser, title="Later", days=6)
    make_run(organiser, title="Sooner", days=2)
    make_run(organiser, title="Already run", days=-2)

    response = client.get("/runs/")

    assert response.status_code == 200
    assert titles(response) == ["Sooner", "Later"]


def test_run_list_shows_the_facts_of_each_run(client, organiser):
    starts_at = local(20, 18, 30)
    make_run(organiser, title="Castle hill repeats", starts_at=starts_at,
             meeting_point="Foot of the funicular", distance_km=Decimal("10.5"),
             pace_min=330, pace_max=360)

    page = text(client.get("/runs/"))

    # 18:30 in Ljubljana, whatever the offset from UTC is that day.
    assert f"{starts_at:%A} {starts_at.day} {starts_at:%B} {starts_at.year}, 18:30" in page
    assert starts_at.astimezone(ZoneInfo("UTC")).strftime("%H:%M") not in page
    assert "Castle hill repeats" in page
    assert "Foot of the funicular" in page
    assert "10.5 km" in page
    assert "5:30–6:00 /km" in page


def test_run_list_shows_free_places_full_runs_and_cancelled_runs(client, organiser):
    roomy = make_run(organiser, title="Roomy", capacity=10, days=2)
    full = make_run(organiser, title="Full", capacity=2, days=3)
    make_run(organiser, title="Called off", days=4).cancel(reason="Storm")
    a, b, c, d = make_runners(4)
    for person in (a, b, c):
        roomy.join(person)
    for person in (a, b, c, d):
        full.join(person)

    listed = cards(client.get("/runs/"))

    assert "7 spots left" in listed["Roomy"]
    assert "Full, 2 waiting" in listed["Full"]
    assert "Cancelled" in listed["Called off"]
    assert "Cancelled" not in listed["Roomy"]


def test_signed_in_runner_sees_runs_they_joined(runner_client, runner, organiser):
    going = make_run(organiser, title="Going", capacity=1, days=2)
    waiting = make_run(organiser, title="Waiting", capacity=1, days=3)
    make_run(organiser, title="Not joined", days=4)
    (first,) = make_runners(1)
    going.join(runner)
    waiting.join(first)
    waiting.join(runner)

    listed = cards(runner_client.get("/runs/"))

    assert "You're going" in listed["Going"]
    assert "You're on the waitlist" in listed["Waiting"]
    assert "You're" not in listed["Not joined"]


# Pages


def test_run_list_shows_twenty_runs_a_page(client, organiser):
    make_runs(organiser, 45)

    first = client.get("/runs/")
    last = client.get("/runs/", {"page": 3})

    assert titles(first) == [f"Run {i:02d}" for i in range(20)]
    assert "Page 1 of 3" in text(first)
    assert titles(last) == [f"Run {i:02d}" for i in range(40, 45)]


def test_page_links_keep_the_filters(client, organiser):
    make_runs(organiser, 25)
    Run.objects.bulk_create(
        Run(organiser=organiser, title=f"Short {i}", meeting_point="Tivoli",
            starts_at=timezone.now() + timedelta(hours=i + 1), distance_km=Decimal("3"))
        for i in range(10)
    )

    first = client.get("/runs/", {"min_km": "5"})
    next_link = html.unescape(re.search(r'rel="next" href="([^"]+)"', first.content.decode())[1])
    second = client.get(f"/runs/{next_link}")
    previous_link = html.unescape(
        re.search(r'rel="prev" href="([^"]+)"', second.content.decode())[1]
    )

    assert "min_km=5" in next_link
    assert titles(second) == [f"Run {i:02d}" for i in range(20, 25)]
    assert "min_km=5" in previous_link
    assert "page=1" in previous_link


# Filters


def test_date_filters_include_both_days_in_the_sites_time_zone(client, organiser):
    # Just before and after midnight in Ljubljana, which is not midnight in UTC.
    make_run(organiser, title="Day before, late", starts_at=local(9, 23, 30))
    make_run(organiser, title="First day, early", starts_at=local(10, 0, 30))
    make_run(organiser, title="Last day, late", starts_at=local(12, 23, 30))
    make_run(organiser, title="Day after, early", starts_at=local(13, 0, 30))
    first_day = timezone.localdate() + timedelta(days=10)
    last_day = first_day + timedelta(days=2)

    response = client.get("/runs/", {"from": first_day.isoformat(), "to": last_day.isoformat()})

    assert titles(response) == ["First day, early", "Last day, late"]


def test_distance_filters_include_their_limits(client, organiser):
    for km in ("3", "5", "8", "10", "21.1"):
        make_run(organiser, title=f"{km} km", distance_km=Decimal(km))

    response = client.get("/runs/", {"min_km": "5", "max_km": "10"})

    assert titles(response) == ["5 km", "8 km", "10 km"]


@pytest.fixture
def paced_runs(organiser):
    make_run(organiser, title="Fast 4:30-5:00", pace_min=270, pace_max=300, days=2)
    make_run(organiser, title="Steady 5:30-6:00", pace_min=330, pace_max=360, days=3)
    make_run(organiser, title="Easy 6:15-7:00", pace_min=375, pace_max=420, days=4)
    make_run(organiser, title="Any pace", pace_min=None, pace_max=None, days=5)


@pytest.mark.parametrize(("pace", "expected"), [
    ("5:45", ["Steady 5:30-6:00", "Any pace"]),
    ("6:00", ["Steady 5:30-6:00", "Any pace"]),
    ("5:00-6:00", ["Fast 4:30-5:00", "Steady 5:30-6:00", "Any pace"]),
    ("6:10-6:20", ["Easy 6:15-7:00", "Any pace"]),
    ("8:00", ["Any pace"]),
])
def test_pace_filter_finds_runs_whose_range_fits(client, paced_runs, pace, expected):
    response = client.get("/runs/", {"pace": pace})
    assert response.status_code == 200
    assert titles(response) == expected


def test_no_match_says_so(client, organiser):
    make_run(organiser, distance_km=Decimal("5"))
    assert "No runs match these filters." in text(client.get("/runs/", {"min_km": "42"}))


@pytest.mark.parametrize(("query", "message"), [
    ({"from": "2026-13-01"}, "From: Enter a valid date."),
    ({"to": "next friday"}, "To: Enter a valid date."),
    ({"min_km": "abc"}, "Min km: Enter a number."),
    ({"max_km": "NaN"}, "Max km: Enter a number."),
    ({"min_km": "-1"}, "Min km: Ensure this value is greater than or equal to 0."),
    ({"pace": "fast"}, "Your pace (min/km): Write a pace like 5:30, or a band like 5:00-6:00."),
    ({"pace": "5:00-"}, "Your pace (min/km): Write a pace like 5:30"),
    ({"from": "2030-06-10", "to": "2030-06-01"}, "To: “To” must not be before “From”."),
    ({"min_km": "10", "max_km": "5"}, "Max km: Max km must not be less than min km."),
])
def test_bad_filter_is_named_and_the_whole_list_shown(client, organiser, query, message):
    make_run(organiser, title="Short", distance_km=Decimal("3"), days=2)
    make_run(organiser, title="Long", distance_km=Decimal("30"), days=3)

    response = client.get("/runs/", query)

    assert response.status_code == 400
    assert "Some filters could not be used, so all runs are shown" in text(response)
    assert message in text(response)
    assert titles(response) == ["Short", "Long"]


@pytest.mark.parametrize(("query", "label"), [
    ({"from": "0001-01-01"}, "From"),  # its midnight in Ljubljana is before year 1 in UTC
    ({"to": "9999-12-31"}, "To"),  # the day after it is past the calendar's end
])
def test_dates_at_the_ends_of_the_calendar_are_refused_not_a_crash(
    client, organiser, query, label
):
    make_run(organiser, title="Soon")
    client.raise_request_exception = False

    response = client.get("/runs/", query)

    assert response.status_code == 400
    assert f"<p>{label}: " in text(response)
    assert titles(response) == ["Soon"]


def test_bad_filter_on_the_archive_shows_the_whole_archive(client, organiser):
    make_run(organiser, title="Last week", days=-7)
    make_run(organiser, title="Next week", days=7)

    response = client.get("/runs/", {"past": "1", "min_km": "abc"})

    assert response.status_code == 400
    assert "Min km: Enter a number." in text(response)
    assert titles(response) == ["Last week"]


# The archive


def test_past_runs_are_listed_newest_first_without_upcoming_ones(client, organiser):
    make_run(organiser, title="Last month", days=-30)
    make_run(organiser, title="Yesterday", days=-1)
    make_run(organiser, title="Last week", days=-7)
    make_run(organiser, title="Tomorrow", days=1)

    response = client.get("/runs/", {"past": "1"})

    assert "Past runs" in text(response)
    assert titles(response) == ["Yesterday", "Last week", "Last month"]


# Privacy and cost


@pytest.mark.parametrize("path", ["/", "/runs/", "/runs/?past=1&min_km=5"])
def test_anonymous_visitor_gets_no_cookie(client, organiser, path):
    make_run(organiser)
    response = client.get(path)
    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.parametrize("count", [10, 1000])
def test_run_list_queries_stay_flat_for_anonymous_visitors(
    client, organiser, django_assert_num_queries, count
):
    make_runs(organiser, count, capacity=5)
    with django_assert_num_queries(2):  # count the runs, read a page of them
        assert client.get("/runs/").status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_run_list_queries_stay_flat_for_a_signed_in_runner(
    runner_client, runner, organiser, django_assert_num_queries, count
):
    runs = make_runs(organiser, count, capacity=5)
    Participation.objects.bulk_create(
        Participation(run=run, runner=runner, status="going") for run in runs
    )
    # The session with its account, count, a page of runs, the runner's places on it.
    with django_assert_num_queries(4):
        response = runner_client.get("/runs/")
    assert text(response).count("You're going") == min(count, 20)
