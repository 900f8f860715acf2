"""Leaving asks first when the place would go to someone waiting for it."""

from django.core import mail
from django.test import Client

from tests.clubs.conftest import text
from tests.runs.conftest import make_run, make_runners


def leave(client, run, **data):
    return client.post(f"/runs/{run.pk}/leave/", data)


def full_run_with_waitlist(run, waiting=3):
    """``run`` (capacity 2) with two going and ``waiting`` on the waitlist."""
    people = make_runners(2 + waiting)
    for person in people:
        run.join(person)
    return people


def test_leaving_a_place_others_wait_for_asks_first(client, run):
    first, *_ = full_run_with_waitlist(run)
    client.force_login(first)
    response = leave(client, run)
    assert response.status_code == 200
    page = text(response)
    assert "Leave “Tuesday river loop”?" in page
    assert "3 people are waiting; your place goes to the first." in page
    assert "Yes, leave the run" in page and "Stay" in page
    assert 'name="confirm" value="yes"' in page
    assert f'href="/runs/{run.pk}/"' in page  # "Stay" goes back to the run
    assert run.participations.get(runner=first).is_going
    assert not mail.outbox


def test_one_person_waiting_is_said_so(client, run):
    first, *_ = full_run_with_waitlist(run, waiting=1)
    client.force_login(first)
    assert "1 person is waiting; your place goes to them." in text(leave(client, run))


def test_confirming_leaves_and_the_first_waiting_moves_up(client, run):
    first, second, next_in_line, last = full_run_with_waitlist(run, waiting=2)
    client.force_login(first)
    response = client.post(f"/runs/{run.pk}/leave/", {"confirm": "yes"}, follow=True)
    assert "You left the run." in text(response)
    assert not run.participations.filter(runner=first).exists()
    assert run.participations.get(runner=next_in_line).is_going
    assert not run.participations.get(runner=last).is_going
    (email,) = mail.outbox
    assert email.to == [next_in_line.email]


def test_leaving_with_nobody_waiting_leaves_at_once(client, run):
    first, second = make_runners(2)
    run.join(first)
    client.force_login(first)
    response = client.post(f"/runs/{run.pk}/leave/", follow=True)
    assert "You left the run." in text(response)
    assert not run.participations.filter(runner=first).exists()


def test_leaving_a_run_without_a_limit_leaves_at_once(client, organiser):
    run = make_run(organiser, capacity=None)
    (person,) = make_runners(1)
    run.join(person)
    client.force_login(person)
    assert leave(client, run).status_code == 302
    assert not run.participations.exists()


def test_a_waitlisted_runner_leaves_at_once_and_is_told_it_was_the_waitlist(client, run):
    *_, last = full_run_with_waitlist(run, waiting=2)
    client.force_login(last)
    response = client.post(f"/runs/{run.pk}/leave/", follow=True)
    assert "You left the waitlist." in text(response)
    assert "You left the run." not in text(response)
    assert not run.participations.filter(runner=last).exists()
    assert not mail.outbox


def test_leaving_a_started_run_is_refused_without_asking(client, organiser):
    from runs.models import Participation

    run = make_run(organiser, days=-1, capacity=1)
    going, waiting = make_runners(2)
    Participation.objects.create(run=run, runner=going, status="going")
    Participation.objects.create(run=run, runner=waiting, status="waitlisted")
    client.force_login(going)
    response = leave(client, run)
    assert response.status_code == 409
    assert "This run has already started." in text(response)
    assert run.participations.filter(runner=going).exists()


def test_leaving_a_cancelled_run_asks_nothing(client, run):
    first, *_ = full_run_with_waitlist(run)
    run.cancel()
    client.force_login(first)
    assert leave(client, run).status_code == 302


def test_the_confirmation_needs_the_csrf_token(run):
    first, *_ = full_run_with_waitlist(run)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(first)
    assert leave(browser, run, confirm="yes").status_code == 403
    assert run.participations.filter(runner=first).exists()
