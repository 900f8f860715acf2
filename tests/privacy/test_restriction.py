"""What restricting processing (GDPR Art. 18) does once staff restrict an account: the runner
is counted but not named on run pages, gets no run emails, is not sent to Strava, and still
hears about their data request."""

import html
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from privacy.models import DataRequest, Kind, Status
from strava import services as strava
from strava.client import StravaError
from tests.conftest import PASSWORD, connect_strava, make_user
from tests.runs.conftest import make_run

TICKETS = "/admin/privacy/datarequest/"
UNNAMED = "And 1 runner who asked us not to show their name."


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("staff@example.com", PASSWORD))
    return client


@pytest.fixture
def ticket(runner):
    ticket = DataRequest(kind=Kind.RESTRICTION, contact_email=runner.email, user=runner,
                         status=Status.IN_PROGRESS, received_at=timezone.now(),
                         verification="staff", verified_at=timezone.now())
    ticket.save()
    return ticket


def restrict(staff_client, ticket):
    staff_client.post(TICKETS, {"action": "restrict", "_selected_action": [ticket.pk]})
    ticket.user.refresh_from_db()
    assert ticket.user.processing_restricted_at is not None


def lift(staff_client, ticket):
    staff_client.post(TICKETS, {"action": "lift_restriction", "_selected_action": [ticket.pk]})
    ticket.user.refresh_from_db()
    assert ticket.user.processing_restricted_at is None


def names_on(client, run):
    response = client.get(f"/runs/{run.pk}/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    names = re.findall(r"<li>([^<]+?)(?: <span|</li>)", page[page.index('id="who"'):])
    return names, page


def as_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_restricted_runner_is_counted_not_named_on_run_pages(
    staff_client, ticket, runner, organiser, outsider
):
    run = make_run(organiser, capacity=1)
    run.join(runner)
    run.join(outsider)  # on the waitlist
    assert names_on(as_client(outsider), run)[0] == ["Ana", "Cene"]

    restrict(staff_client, ticket)

    for viewer in (outsider, organiser):
        names, page = names_on(as_client(viewer), run)
        assert names == ["Cene"], viewer
        assert "Ana" not in page
        assert UNNAMED in page
    names, page = names_on(as_client(runner), run)
    assert names == ["Ana", "Cene"]  # they still see themselves
    assert UNNAMED not in page

    lift(staff_client, ticket)
    names, page = names_on(as_client(outsider), run)
    assert names == ["Ana", "Cene"]
    assert UNNAMED not in page


def test_a_restricted_runner_gets_no_run_emails(staff_client, ticket, runner, organiser):
    run = make_run(organiser, capacity=2)
    leaving = [make_user(f"leaving{i}@example.com", f"Leaving {i}") for i in range(2)]
    for person in leaving:
        run.join(person)
    run.join(runner)
    waiting = make_user("waiting@example.com", "Wanda")
    run.join(waiting)
    restrict(staff_client, ticket)
    mail.outbox.clear()

    for person in leaving:
        as_client(person).post(f"/runs/{run.pk}/leave/", {"confirm": "yes"})

    assert run.participations.get(runner=runner).is_going  # promoted all the same
    assert run.participations.get(runner=waiting).is_going
    assert [m.to for m in mail.outbox] == [["waiting@example.com"]]


def test_a_restricted_runner_is_not_told_of_a_cancelled_run(
    staff_client, ticket, runner, organiser, outsider
):
    run = make_run(organiser)
    run.join(runner)
    run.join(outsider)
    restrict(staff_client, ticket)
    mail.outbox.clear()

    as_client(organiser).post(f"/runs/{run.pk}/cancel/", {"reason": "Storm.", "confirm": "yes"})

    run.refresh_from_db()
    assert run.is_cancelled
    assert [m.to for m in mail.outbox] == [["outsider@example.com"]]


def test_a_restricted_runner_still_gets_emails_about_their_request(
    staff_client, ticket, runner
):
    restrict(staff_client, ticket)
    mail.outbox.clear()

    staff_client.post(f"{TICKETS}{ticket.pk}/extend/", {"reason": "Checking every backup."})
    staff_client.post(f"{TICKETS}{ticket.pk}/complete/",
                      {"reply": "We stopped using your data until you tell us otherwise."})

    assert [m.to for m in mail.outbox] == [["runner@example.com"], ["runner@example.com"]]
    extended, completed = mail.outbox
    assert "Checking every backup." in extended.body
    assert ticket.reference in completed.subject
    assert "We stopped using your data until you tell us otherwise." in completed.body
    runner.refresh_from_db()
    assert runner.processing_restricted_at is not None  # completing does not lift it


def test_a_restricted_runner_is_not_sent_to_strava(staff_client, ticket, runner, fake_strava):
    connect_strava(runner, fake_strava)
    restrict(staff_client, ticket)
    fake_strava.requests.clear()

    with pytest.raises(StravaError) as refused:
        strava.call(strava.connection_of(User.objects.get(pk=runner.pk)), "/athlete")

    assert refused.value.code == strava.RESTRICTED
    assert fake_strava.requests == []

    lift(staff_client, ticket)
    assert strava.call(strava.connection_of(User.objects.get(pk=runner.pk)), "/athlete")
    assert fake_strava.requests != []
