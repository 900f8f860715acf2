"""Audit finding 2 (issue 14): a request acts on an account only when the account's
address is the one the request verified (or the account asked while signed in); otherwise
staff check the identity another way and write down how."""

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from privacy import services
from privacy.models import DataRequest, Kind, Status
from tests.conftest import make_user
from tests.privacy.test_admin_actions import act, shown_messages

TICKETS = "/admin/privacy/datarequest/"


@pytest.fixture
def bob(db):
    return make_user("bob@example.com", "Bob")


def entered_for(staff_client, user, contact, kind=Kind.ACCESS):
    """Staff enter a request by hand, linked to ``user``, answered at ``contact``."""
    response = staff_client.post(f"{TICKETS}add/", {
        "kind": kind, "channel": "email", "received_at_1": "12:00:00",
        "received_at_0": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "user": user.pk, "contact_email": contact, "details": "", "assignee": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    return DataRequest.objects.get()


def verify_by_link(ticket):
    """The requester clicks the link the verification email sent to the contact."""
    (message,) = [m for m in mail.outbox if ticket.reference in m.subject
                  and "/verify/" in m.body]
    (path,) = re.findall(r"(/privacy/requests/\S+/verify/\?token=\S+)", message.body)
    assert message.to == [ticket.contact_email]
    response = Client().post(path.split("?")[0], {"token": path.split("token=")[1]})
    assert response.status_code == 302
    return DataRequest.objects.get(pk=ticket.pk)


def test_a_link_verified_by_another_address_cannot_export_the_linked_account(
    staff_client, bob, settings, tmp_path
):
    # A folder of this test's own: references repeat across tests (each starts a new year's
    # count), and another test's export file must not count as this one's.
    settings.DATA_EXPORT_DIR = str(tmp_path)
    ticket = verify_by_link(entered_for(staff_client, bob, "attacker@example.com"))
    assert ticket.status == Status.IN_PROGRESS and ticket.user == bob
    mail.outbox.clear()

    response = act(staff_client, "build_export", ticket)

    assert any("not the address this request verified" in m
               for m in shown_messages(response))
    assert DataRequest.objects.get(pk=ticket.pk).export_file == ""
    assert not any("attacker@example.com" in m.to for m in mail.outbox)
    assert not list(Path(settings.DATA_EXPORT_DIR).glob(f"{ticket.reference}-*"))


@pytest.mark.parametrize("step", ["restrict", "lift_restriction"])
def test_nor_restrict_it(staff_client, bob, step):
    ticket = verify_by_link(entered_for(staff_client, bob, "attacker@example.com"))
    response = act(staff_client, step, ticket)
    assert any("not the address this request verified" in m
               for m in shown_messages(response))


def test_the_ticket_that_restricted_lifts_it_even_after_an_address_change(staff_client, bob):
    ticket = verify_by_link(entered_for(staff_client, bob, "bob@example.com"))
    act(staff_client, "restrict", ticket)
    assert User.objects.get(pk=bob.pk).processing_restricted_at is not None
    User.objects.filter(pk=bob.pk).update(email="bob@elsewhere.example")

    act(staff_client, "lift_restriction", ticket)

    assert User.objects.get(pk=bob.pk).processing_restricted_at is None


def test_nor_erase_it(staff_client, bob):
    ticket = verify_by_link(entered_for(staff_client, bob, "attacker@example.com",
                                        kind=Kind.ERASURE))
    staff_client.post(f"{TICKETS}{ticket.pk}/erase/")
    assert User.objects.filter(pk=bob.pk).exists()


def test_staff_marking_it_verified_is_not_enough(staff_client, bob):
    ticket = entered_for(staff_client, bob, "attacker@example.com")
    act(staff_client, "mark_verified", ticket)
    with pytest.raises(services.NotPossible):
        services.build_export(DataRequest.objects.get(pk=ticket.pk), actor=None)


def test_staff_who_checked_the_identity_another_way_record_how_and_then_may_act(
    staff_client, staff, bob
):
    ticket = verify_by_link(entered_for(staff_client, bob, "bob.work@example.com"))
    change = f"{TICKETS}{ticket.pk}/change/"
    form = staff_client.get(change).content.decode()
    assert 'name="identity_check"' in form

    response = staff_client.post(change, {
        "assignee": "", "identity_check": "Bob signed the letter; called him back.",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
    })

    assert response.status_code == 302
    ticket = DataRequest.objects.get(pk=ticket.pk)
    assert ticket.identity_check == "Bob signed the letter; called him back."
    event = ticket.events.last()
    assert (event.action, event.actor_label, event.actor) == ("identity_checked", "staff",
                                                              staff)
    assert "Bob" not in event.message  # events name nobody
    assert 'name="identity_check"' not in staff_client.get(change).content.decode()
    services.build_export(ticket, actor=staff)
    assert DataRequest.objects.get(pk=ticket.pk).export_file


def test_a_link_verified_by_the_accounts_own_address_acts_on_it(staff_client, staff, bob):
    ticket = verify_by_link(entered_for(staff_client, bob, "Bob@Example.com"))
    services.build_export(ticket, actor=staff)
    assert DataRequest.objects.get(pk=ticket.pk).export_file


def test_an_accounts_own_request_from_its_session_acts_on_it(staff, db):
    strava_only = make_user(None, "Strava runner")
    ticket = services.file_request(
        DataRequest(kind=Kind.ACCESS, contact_email="elsewhere@example.com"),
        user=strava_only)
    services.build_export(ticket, actor=staff)
    assert DataRequest.objects.get(pk=ticket.pk).export_file


def test_how_staff_checked_is_purged_with_the_contact_details(staff, bob):
    ticket = services.file_request(DataRequest(kind=Kind.ACCESS,
                                               contact_email="bob.work@example.com"))
    services.record_identity_check(ticket, actor=staff, how="Called Bob back.")
    DataRequest.objects.filter(pk=ticket.pk).update(
        status=Status.COMPLETED, closed_at=timezone.now() - timedelta(days=800))

    call_command("privacy_housekeeping", stdout=StringIO())

    assert DataRequest.objects.get(pk=ticket.pk).identity_check == ""
