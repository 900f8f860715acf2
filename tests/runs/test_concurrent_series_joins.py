"""Forty runners press "Join every upcoming date" on a weekly series of three dates with
eight places each, at the same moment, against the site as production serves it
(gunicorn with several workers, each with its own database connection, on the database
backend this suite runs on). As in test_concurrent_joins.py, only what people see is
checked: no date is overfilled, every waitlist is in line without gaps, and each runner
keeps the place on each date they were told of. Since the whole action locks every date
at once (runs/series.py), one runner's turn is never split by another's: the same eight
are going on every date, and the waitlists are in the same order."""

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import make_user
from tests.runs.test_concurrent_joins import browser, names_after, text_of
from tests.served import seeded_site, signed_in_session, warm_up

RUNNERS = 40
CAPACITY = 8
DATES = 3
WORKERS = 6


def seed_series():
    """Runs inside the served site's environment (``manage.py shell``): the organiser, a
    weekly series of three dates with eight places each, and forty runners signed in."""
    from tests.runs.test_series import make_series

    organiser = make_user("organiser@example.com", "Organiser", password=None)
    runs = make_series(organiser, DATES, capacity=CAPACITY)
    runners = [make_user(f"runner{i:02d}@example.com", f"Runner {i:02d}", password=None)
               for i in range(1, RUNNERS + 1)]
    print(json.dumps({
        "series": str(runs[0].series),
        "dates": [run.pk for run in runs],
        "organiser": signed_in_session(organiser),
        "runners": {runner.display_name: signed_in_session(runner) for runner in runners},
    }))


def date_cards(page):
    """{run id: the card of that date} on a series page."""
    cards = re.findall(r'<li class="run-card[^"]*" id="date-(\d+)">(.*?)</li>', page, re.S)
    return {int(pk): card for pk, card in cards}


def shown_places(page):
    """{run id: "going" or waitlist position} as the series page shows the viewer."""
    places = {}
    for pk, card in date_cards(page).items():
        status = re.search(r'<p class="my-status">(.*?)</p>', card, re.S)
        if status and "You're going" in status[1]:
            places[pk] = "going"
        elif status:
            places[pk] = int(re.search(r"You're #(\d+) on the waitlist", status[1])[1])
    return places


def told_places(page, date_of):
    """{run id: "going" or waitlist position} as the messages after joining said."""
    told = {}
    going = re.search(r"You're going on \d+ dates?: (.*?)\.</li>", page, re.S)
    for when in going[1].split("; ") if going else []:
        told[date_of[when]] = "going"
    waiting = re.search(r"on the waitlist of \d+ dates?: (.*?)\. When", page, re.S)
    for entry in waiting[1].split("; ") if waiting else []:
        when, position = re.fullmatch(r"(.*) \(#(\d+)\)", entry).groups()
        told[date_of[when]] = int(position)
    return told


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """The race, run once: what each runner was told and then saw, and the pages of a
    visitor and of the organiser."""
    tmp = tmp_path_factory.mktemp("concurrent_series_joins")
    seed = "from tests.runs.test_concurrent_series_joins import seed_series; seed_series()"
    with seeded_site(tmp, name="concurrent-series", workers=WORKERS, seed=seed) as site:
        yield race(*site)


def race(base, seeded):
    series_url = f"/runs/series/{seeded['series']}/"
    names = list(seeded["runners"])
    browsers = [browser(base, seeded["runners"][name]) for name in names]
    warm_up(base + series_url, WORKERS)

    start = threading.Barrier(len(browsers))

    def join_all(client):
        start.wait(timeout=30)
        return client.post(f"{base}{series_url}join/", allow_redirects=False, timeout=90)

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        joins = list(pool.map(join_all, browsers))
        pages = list(pool.map(lambda client: client.get(base + series_url, timeout=30),
                              browsers))

    visitor = text_of(requests.get(base + series_url, timeout=10))
    date_of = {}
    for pk, card in date_cards(visitor).items():
        date_of[re.search(r"<time [^>]*>(.*?)</time>", card)[1]] = pk
    runners = {}
    for name, response, page in zip(names, joins, pages, strict=True):
        text = text_of(page)
        runners[name] = {"join": response, "told": told_places(text, date_of),
                         "shown": shown_places(text)}
    for client in browsers:
        client.close()
    organiser = browser(base, seeded["organiser"])
    return {
        "series_url": series_url,
        "dates": seeded["dates"],
        "runners": runners,
        "visitor": visitor,
        "run_pages": {pk: text_of(requests.get(f"{base}/runs/{pk}/", timeout=10))
                      for pk in seeded["dates"]},
        "organiser_pages": {pk: text_of(organiser.get(f"{base}/runs/{pk}/", timeout=10))
                            for pk in seeded["dates"]},
    }


def test_every_runner_is_sent_back_to_the_series_page(crowd):
    answers = {name: (runner["join"].status_code, runner["join"].headers.get("Location"))
               for name, runner in crowd["runners"].items()}
    assert answers == {name: (302, crowd["series_url"]) for name in answers}


def test_each_runner_is_on_every_date(crowd):
    for runner in crowd["runners"].values():
        assert set(runner["shown"]) == set(crowd["dates"])


def test_no_date_is_overfilled_and_each_waitlist_has_no_gaps(crowd):
    for pk in crowd["dates"]:
        shown = [runner["shown"][pk] for runner in crowd["runners"].values()]
        assert shown.count("going") == CAPACITY
        assert sorted(p for p in shown if p != "going") == list(
            range(1, RUNNERS - CAPACITY + 1))


def test_each_runner_keeps_the_places_they_were_told_of(crowd):
    for name, runner in crowd["runners"].items():
        assert runner["told"] == runner["shown"], name


def test_one_runners_turn_is_never_split_by_another(crowd):
    orders = {
        pk: sorted(crowd["runners"], key=lambda name, pk=pk: (
            crowd["runners"][name]["shown"][pk] != "going",
            0 if crowd["runners"][name]["shown"][pk] == "going"
            else crowd["runners"][name]["shown"][pk], name))
        for pk in crowd["dates"]
    }
    going = [set(order[:CAPACITY]) for order in orders.values()]
    assert going[0] == going[1] == going[2]
    waiting = [order[CAPACITY:] for order in orders.values()]
    assert waiting[0] == waiting[1] == waiting[2]


def test_a_visitor_sees_every_date_full_with_its_waitlist(crowd):
    cards = date_cards(crowd["visitor"])
    for pk in crowd["dates"]:
        assert f"Full, {RUNNERS - CAPACITY} waiting" in cards[pk]
        assert f"{CAPACITY} runners are going." in crowd["run_pages"][pk]
        assert f"{RUNNERS - CAPACITY} are waiting." in crowd["run_pages"][pk]


def test_the_organiser_sees_each_waitlist_in_the_order_places_were_given(crowd):
    runners = crowd["runners"]
    for pk in crowd["dates"]:
        going = {name for name, runner in runners.items() if runner["shown"][pk] == "going"}
        waiting = sorted((runner["shown"][pk], name) for name, runner in runners.items()
                         if runner["shown"][pk] != "going")
        page = crowd["organiser_pages"][pk]
        assert set(names_after("Who is going", page)) == going
        assert names_after("Waitlist", page) == [name for _, name in waiting]
