"""My runs: what I organise, where I'm going, where I'm waiting, and what I ran."""

import html
import re

import pytest

from runs.models import Participation
from tests.runs.conftest import make_run, make_runners

MINE = "/runs/mine/"


def text(response):
    return html.unescape(response.content.decode())


def sections(response):
    """The titles of the runs under each heading of the page."""
    parts = re.split(r"<h2>([^<]+)</h2>", text(response))[1:]
    return {
        heading: re.findall(r'class="run-title"><a href="[^"]+">([^<]+)</a>', body)
        for heading, body in zip(parts[::2], parts[1::2], strict=True)
    }


@pytest.fixture
def my_runs(runner, organiser, outsider):
    """The runner organises one run, goes to one, waits for one and ran two."""
    make_run(runner, title="My Saturday run", days=4)
    make_run(organiser, title="Joined run", days=2).join(runner)
    waiting = make_run(organiser, title="Full run", capacity=1, days=3)
    for person in [*make_runners(2), runner]:
        waiting.join(person)
    make_run(runner, title="My run last week", days=-7)
    ran = make_run(organiser, title="Run I ran", days=-2)
    Participation.objects.create(run=ran, runner=runner, status="going")
    # Someone else's runs, past and upcoming.
    make_run(outsider, title="Outsider's run", days=5).join(outsider)
    make_run(organiser, title="Old run without me", days=-3)


def test_my_runs_needs_an_account(client, db):
    response = client.get(MINE)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={MINE}"


def test_my_runs_lists_each_kind_of_run_under_its_heading(runner_client, my_runs):
    response = runner_client.get(MINE)

    assert response.status_code == 200
    listed = sections(response)
    assert listed["Runs I organise"] == ["My Saturday run"]
    assert listed["Runs I'm going to"] == ["Joined run"]
    assert listed["Runs I'm waiting for"] == ["Full run"]
    assert listed["Past runs"] == ["Run I ran", "My run last week"]


def test_my_runs_shows_my_place_on_the_waitlist(runner_client, my_runs):
    page = text(runner_client.get(MINE))
    assert "You're #2 on the waitlist" in page


def test_someone_elses_runs_are_not_on_my_page(runner_client, my_runs):
    page = text(runner_client.get(MINE))
    assert "Outsider's run" not in page
    assert "Old run without me" not in page


def test_my_runs_without_any_runs_points_to_the_list(client, outsider):
    client.force_login(outsider)
    response = client.get(MINE)
    assert set(sections(response)) == {"Runs I organise", "Runs I'm going to",
                                        "Runs I'm waiting for", "Past runs"}
    assert all(titles == [] for titles in sections(response).values())
    assert 'href="/runs/">Find a run</a>' in text(response)


def test_my_runs_makes_as_many_queries_for_ten_waitlists_as_for_one(
    client, runner, organiser, django_assert_num_queries
):
    def waitlists(count):
        for number in range(count):
            run = make_run(organiser, title=f"Full {number}", capacity=1)
            run.join(organiser)
            run.join(runner)

    client.force_login(runner)
    # The session with its account, the runs of followed clubs, going/waiting,
    # organising, past.
    waitlists(1)
    with django_assert_num_queries(5):
        page = text(client.get(MINE))
    assert "You're #1 on the waitlist" in page
    waitlists(9)
    with django_assert_num_queries(5):
        page = text(client.get(MINE))
    assert page.count("You're #1 on the waitlist") == 10
