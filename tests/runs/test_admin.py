"""Runs in the admin: staff see how full each run is and who is on it."""

import html
import re

import pytest

from accounts.models import User
from tests.conftest import PASSWORD
from tests.runs.conftest import make_run, make_runners

RUNS = "/admin/runs/run/"


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("staff@example.com", PASSWORD))
    return client


def listed(response):
    """(title, going, waiting) for each row of the changelist."""
    page = html.unescape(response.content.decode())
    return re.findall(
        r'<th class="field-title"><a [^>]*>([^<]+)</a></th>.*?'
        r'<td class="field-going">(\d+)</td><td class="field-waiting">(\d+)</td>',
        page,
    )


@pytest.fixture
def runs(organiser):
    full = make_run(organiser, title="Full run", capacity=2, days=2)
    for person in make_runners(3):
        full.join(person)
    make_run(organiser, title="Called off", days=3).cancel()
    make_run(organiser, title="Last week", days=-7)


def test_staff_see_how_many_are_going_and_waiting(staff_client, runs):
    response = staff_client.get(RUNS)
    assert response.status_code == 200
    assert sorted(listed(response)) == [
        ("Called off", "0", "0"), ("Full run", "2", "1"), ("Last week", "0", "0"),
    ]


@pytest.mark.parametrize(("query", "titles"), [
    ({"when": "upcoming"}, ["Called off", "Full run"]),
    ({"when": "past"}, ["Last week"]),
    ({"cancelled": "yes"}, ["Called off"]),
    ({"cancelled": "no"}, ["Full run", "Last week"]),
    ({"when": "upcoming", "cancelled": "no"}, ["Full run"]),
])
def test_staff_filter_runs_by_time_and_cancellation(staff_client, runs, query, titles):
    response = staff_client.get(RUNS, query)
    assert sorted(title for title, _, _ in listed(response)) == titles


def test_run_page_in_the_admin_lists_runners_by_display_name(
    staff_client, runner, outsider, run
):
    (waiting,) = make_runners(1)
    for person in (runner, outsider, waiting):
        run.join(person)

    response = staff_client.get(f"{RUNS}{run.pk}/change/")

    assert response.status_code == 200
    rows = re.findall(r'<tr class="form-row.*?</tr>', html.unescape(response.content.decode()),
                      flags=re.DOTALL)
    assert len(rows) == 3
    for row, name, status in zip(rows, ["Ana", "Cene", "Runner 0"],
                                 ["Going", "Going", "On the waitlist"], strict=True):
        assert name in row and status in row


def test_runners_cannot_open_the_runs_admin(runner_client, run):
    response = runner_client.get(RUNS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert runner_client.get(RUNS, follow=True).status_code == 403
    assert runner_client.get(f"{RUNS}{run.pk}/change/", follow=True).status_code == 403
