"""Sixty runners press "Join run" on a run with ten places at the same moment, against the
site as production serves it: gunicorn with several workers, each with its own database
connection, on the database backend this suite runs on. Only what the runners, a visitor and
the organiser see is checked: the lock in Run.join() is right when nobody can tell there was
a crowd. (On SQLite, IMMEDIATE transactions queue the joins even without select_for_update;
there the test guards the order in which places are given.)"""

import html
import json
import re
import secrets
import string
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

from tests.conftest import make_user
from tests.runs.conftest import make_run
from tests.served import seeded_site, signed_in_session, warm_up

RUNNERS = 60
CAPACITY = 10
# Enough workers in the join code at once that, without the lock, PostgreSQL overfills the
# run or misorders its waitlist every time: with 4, 2 of 25 trials went unnoticed; with 6,
# none of 25.
WORKERS = 6


def seed_full_run():
    """Runs inside the served site's environment (``manage.py shell``): the organiser, a
    future run with ten places and sixty runners, all signed in. Nobody has a password,
    so no time goes on hashing; their sessions are made server-side, as login() would."""
    organiser = make_user("organiser@example.com", "Organiser", password=None)
    run = make_run(organiser, capacity=CAPACITY)
    # Zero-padded, so no name is contained in another ("Runner 1" in "Runner 10").
    runners = [make_user(f"runner{i:02d}@example.com", f"Runner {i:02d}", password=None)
               for i in range(1, RUNNERS + 1)]
    print(json.dumps({
        "run": run.pk,
        "organiser": signed_in_session(organiser),
        "runners": {runner.display_name: signed_in_session(runner) for runner in runners},
    }))


def browser(base, session_key=None):
    """A browser of its own: its session cookie, and a CSRF cookie echoed in the header
    as the site's forms would send it."""
    client = requests.Session()
    token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    client.cookies.set("csrftoken", token)
    client.headers["X-CSRFToken"] = token
    if session_key:
        client.cookies.set(settings.SESSION_COOKIE_NAME, session_key)
    return client


def text_of(response):
    assert response.status_code == 200, response.text[:2000]
    return html.unescape(response.text)


def place(text):
    """ "going" or the waitlist position in a sentence that says which, else None."""
    if re.search(r"\bYou're going\b", text):
        return "going"
    position = re.search(r"\byou're #(\d+) on the waitlist", text, re.IGNORECASE)
    return int(position[1]) if position else None


def names_after(heading, page):
    listing = re.search(rf"{heading}</h[23]>\s*<ol class=\"names\">(.*?)</ol>", page, re.S)
    return re.findall(r"<li>(.*?)</li>", listing[1]) if listing else []


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """The race, run once: what every runner was told on joining and then saw, and the
    run's page for a visitor and for its organiser."""
    tmp = tmp_path_factory.mktemp("concurrent_joins")
    seed = "from tests.runs.test_concurrent_joins import seed_full_run; seed_full_run()"
    with seeded_site(tmp, name="concurrent-joins", workers=WORKERS, seed=seed) as site:
        yield race(*site)


def race(base, seeded):
    run_url = f"/runs/{seeded['run']}/"
    names = list(seeded["runners"])
    browsers = [browser(base, seeded["runners"][name]) for name in names]
    warm_up(base + run_url, WORKERS)

    start = threading.Barrier(len(browsers))

    def join(client):
        start.wait(timeout=30)
        return client.post(f"{base}{run_url}join/", allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        joins = list(pool.map(join, browsers))
        # The page after the redirect carries the message each runner was given on joining.
        pages = list(pool.map(lambda client: client.get(base + run_url, timeout=30), browsers))

    runners = {}
    for name, response, page in zip(names, joins, pages, strict=True):
        text = text_of(page)
        message = re.search(r'<li class="message[^"]*">(.*?)</li>', text, re.S)
        status = re.search(r'<p class="my-status">(.*?)</p>', text, re.S)
        runners[name] = {
            "join": response,
            "told": place(message[1]) if message else None,
            "shown": place(status[1]) if status else None,
        }
    for client in browsers:
        client.close()
    return {
        "run_url": run_url,
        "runners": runners,
        "visitor": text_of(requests.get(base + run_url, timeout=10)),
        "organiser": text_of(browser(base, seeded["organiser"]).get(base + run_url, timeout=10)),
    }


def test_every_runner_is_sent_to_the_run_page(crowd):
    answers = {
        name: (runner["join"].status_code, runner["join"].headers.get("Location"))
        for name, runner in crowd["runners"].items()
    }
    assert answers == {name: (302, crowd["run_url"]) for name in answers}


def test_ten_are_going_and_fifty_wait_in_line_without_gaps(crowd):
    shown = [runner["shown"] for runner in crowd["runners"].values()]
    assert shown.count("going") == CAPACITY
    positions = sorted(p for p in shown if isinstance(p, int))
    assert positions == list(range(1, RUNNERS - CAPACITY + 1))


def test_each_runner_keeps_the_place_they_were_told_on_joining(crowd):
    told = {name: runner["told"] for name, runner in crowd["runners"].items()}
    shown = {name: runner["shown"] for name, runner in crowd["runners"].items()}
    assert told == shown


def test_a_visitor_sees_the_run_full_with_its_waitlist(crowd):
    assert f"{CAPACITY} runners are going." in crowd["visitor"]
    assert f"{RUNNERS - CAPACITY} are waiting." in crowd["visitor"]
    assert f"Full, {RUNNERS - CAPACITY} waiting" in crowd["visitor"]


def test_the_organiser_sees_the_waitlist_in_the_order_places_were_given(crowd):
    runners = crowd["runners"]
    going = {name for name, runner in runners.items() if runner["shown"] == "going"}
    waiting = sorted((runner["shown"], name) for name, runner in runners.items()
                     if isinstance(runner["shown"], int))
    page = crowd["organiser"]
    assert set(names_after("Who is going", page)) == going
    assert names_after("Waitlist", page) == [name for _, name in waiting]
