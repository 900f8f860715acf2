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
        r'<td class="field-going">(\d+)(?: / \d+)?</td><td class="field-waiting">(\d+)</td>',
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


def test_what_runners_rely_on_cannot_be_changed_in_the_admin(staff_client, organiser):
    run = make_run(organiser, capacity=1)
    page = html.unescape(staff_client.get(f"{RUNS}{run.pk}/change/").content.decode())
    for field in ("starts_at", "meeting_point", "capacity", "organiser"):
        assert f'name="{field}"' not in page
    assert 'name="title"' in page
    assert staff_client.get(f"{RUNS}{run.pk}/delete/").status_code == 403


def test_staff_cancel_runs_and_their_runners_are_told(staff_client, organiser):
    from django.core import mail

    run = make_run(organiser, capacity=1)
    people = make_runners(2)
    for person in people:
        run.join(person)
    staff_client.post(RUNS, {"action": "cancel_runs", "_selected_action": [run.pk],
                             "reason": "The park is closed for a storm.", "apply": "1"})
    run.refresh_from_db()
    assert run.is_cancelled
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert "The park is closed for a storm." in mail.outbox[0].body


def test_staff_deleting_an_account_lets_the_next_runner_in(
    staff_client, organiser, django_capture_on_commit_callbacks
):
    from django.core import mail

    run = make_run(organiser, capacity=1)
    going, waiting = make_runners(2)
    run.join(going)
    run.join(waiting)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/accounts/user/{going.pk}/delete/",
                                     {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=going.pk).exists()
    assert run.participations.get(runner=waiting).is_going
    assert [m.to for m in mail.outbox] == [[waiting.email]]
