import re
from itertools import product

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.formats import date_format

from privacy.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    DataRequest,
    DataRequestEvent,
    InvalidTransition,
    Kind,
    Status,
)
from tests.conftest import make_user
from tests.privacy.test_request_form import file_request, make_staff

EMAIL_ADDRESS = re.compile(r"[^\s@]+@[^\s@]+")


def status_path(ticket, key=None):
    path = reverse("privacy:request_status", args=[ticket.reference])
    return path if key is None else f"{path}?key={key}"


def verify(client):
    """Opens the emailed link and presses its button."""
    link = re.search(r"\S+/verify/\?token=\S+", mail.outbox[-1].body).group(0)
    path, token = link.removeprefix(settings.SITE_URL).split("?token=")
    assert client.get(f"{path}?token={token}").status_code == 200
    assert client.post(path, {"token": token}).status_code == 302


@pytest.fixture
def ticket(client, db):
    file_request(client)
    return DataRequest.objects.get()


# The page behind the private link


def test_the_private_link_shows_where_the_request_stands(client, ticket):
    response = client.get(ticket.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert ticket.reference in page
    assert "Erasure: delete my data (GDPR)" in page
    assert "Awaiting verification" in page
    assert date_format(ticket.due_on, "DATE_FORMAT") in page
    assert "Request received" in page


def test_the_history_shows_each_step(client, ticket):
    verify(client)
    page = client.get(ticket.get_absolute_url()).content.decode()
    history = page.split('class="request-history"')[1]
    assert history.index("Request received") < history.index("Verified")
    assert "→ In progress" in history


def test_a_completed_opt_out_shows_our_answer_and_no_due_date(client, db):
    file_request(client, kind=Kind.CCPA_OPT_OUT, details="")
    ticket = DataRequest.objects.get()
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Completed" in page
    assert "does not sell or share" in page
    assert "Answer due by" not in page


@pytest.mark.parametrize("key", [None, "", "wrong", "x" * 43])
def test_a_missing_or_wrong_key_finds_nothing(client, ticket, key):
    assert client.get(status_path(ticket, key)).status_code == 404


def test_another_tickets_key_does_not_open_this_one(client, ticket):
    file_request(client, contact_email="other@example.com")
    other = DataRequest.objects.exclude(pk=ticket.pk).get()
    assert client.get(status_path(ticket, other.link_key)).status_code == 404


def test_an_unknown_reference_finds_nothing(client, ticket):
    response = client.get(f"/privacy/requests/JR-2026-9999/?key={ticket.link_key}")
    assert response.status_code == 404


def test_a_reference_alone_never_opens_a_ticket_even_for_its_requester(runner_client):
    file_request(runner_client)
    ticket = DataRequest.objects.get()
    assert runner_client.get(status_path(ticket)).status_code == 404


def test_the_page_sets_no_cookie_and_is_not_cached(client, ticket):
    client.cookies.clear()
    response = client.get(ticket.get_absolute_url())
    assert not response.cookies
    assert not response.has_header("Set-Cookie")
    assert "no-store" in response["Cache-Control"]


# Events


def steps(ticket):
    return list(ticket.events.values_list("action", "from_status", "to_status"))


def test_an_anonymous_request_writes_an_event_per_step(client, ticket):
    verify(client)
    assert steps(ticket) == [("received", "", "awaiting_verification"),
                             ("verified", "awaiting_verification", "in_progress")]


def test_a_signed_in_request_writes_its_event(runner_client, runner):
    file_request(runner_client)
    ticket = DataRequest.objects.get()
    assert steps(ticket) == [("received", "", "in_progress")]
    assert ticket.events.get().actor == runner


def test_an_opt_out_writes_received_then_completed(client, db):
    file_request(client, kind=Kind.CCPA_OPT_OUT)
    ticket = DataRequest.objects.get()
    assert steps(ticket) == [("received", "", "received"),
                             ("completed", "received", "completed")]


def test_event_messages_name_no_one(runner_client, db):
    make_staff()
    anonymous = Client()
    file_request(anonymous, contact_email="someone@example.com")
    verify(anonymous)
    file_request(anonymous, kind=Kind.CCPA_OPT_OUT, contact_email="optout@example.com")
    file_request(runner_client)
    assert DataRequestEvent.objects.count() == 5
    for event in DataRequestEvent.objects.all():
        assert not EMAIL_ADDRESS.search(event.message)


def test_an_event_cannot_be_changed_once_written(ticket):
    event = ticket.events.get()
    event.message = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert ticket.events.get().message == ""


# The workflow


def ticket_in(status):
    ticket = DataRequest.objects.create(kind=Kind.ACCESS, contact_email="a@example.com")
    DataRequest.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


def test_a_completed_request_cannot_be_reopened(db):
    ticket = ticket_in(Status.COMPLETED)
    with pytest.raises(InvalidTransition, match="cannot become"):
        ticket.move_to(Status.IN_PROGRESS)
    ticket.refresh_from_db()
    assert ticket.status == "completed"
    assert not ticket.events.exists()


REFUSED_MOVES = [(before, after) for before, after in product(Status, Status)
                 if before != after and after not in TRANSITIONS[before]]
ALLOWED_MOVES = [(before, after) for before in Status for after in TRANSITIONS[before]]


@pytest.mark.parametrize(("before", "after"), REFUSED_MOVES)
def test_moves_outside_the_workflow_are_refused(db, before, after):
    ticket = ticket_in(before)
    with pytest.raises(InvalidTransition):
        ticket.move_to(after)
    ticket.refresh_from_db()
    assert ticket.status == before
    assert ticket.closed_at is None
    assert not ticket.events.exists()


@pytest.mark.parametrize(("before", "after"), ALLOWED_MOVES)
def test_moves_in_the_workflow_are_saved_with_their_event(db, before, after):
    staff = make_user("staff@example.com", "Sara", is_staff=True)
    ticket = ticket_in(before)
    ticket.move_to(after, actor=staff)
    ticket.refresh_from_db()
    assert ticket.status == after
    assert (ticket.closed_at is None) == (after in OPEN_STATUSES)
    event = ticket.events.get()
    assert (event.action, event.from_status, event.to_status) == (
        "status_changed", before, after)
    assert (event.actor, event.actor_label) == (staff, "staff")

