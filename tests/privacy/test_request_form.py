import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from privacy import deadlines
from privacy.models import DataRequest, Kind
from tests.conftest import make_user

NEW = reverse("privacy:new_request")


def file_request(client, **overrides):
    """Posts the request form; returns the response."""
    data = {"kind": Kind.ERASURE, "contact_email": "asker@example.com",
            "details": "Please delete everything."}
    data.update(overrides)
    return client.post(NEW, data)


def make_staff(email="staff@example.com", **extra):
    extra = {"is_staff": True, "is_superuser": True, **extra}
    return make_user(email, "Sara", **extra)


def recipients():
    return [message.to for message in mail.outbox]


def radio(page, value):
    """The radio input of the form's ``kind`` field with ``value``."""
    match = re.search(rf'<input type="radio" name="kind" value="{value}"[^>]*>', page)
    assert match, value
    return match.group(0)


# The page


def test_every_right_is_offered(client, db):
    page = client.get(NEW).content.decode()
    for kind in Kind:
        radio(page, kind.value)
        assert str(kind.label) in page


def test_a_kind_in_the_link_is_preselected(client, db):
    page = client.get(NEW, {"kind": "erasure"}).content.decode()
    assert " checked" in radio(page, "erasure")
    assert page.count(" checked") == 1


def test_an_unknown_kind_in_the_link_preselects_nothing(client, db):
    response = client.get(NEW, {"kind": "everything"})
    assert response.status_code == 200
    assert " checked" not in response.content.decode()


def test_an_anonymous_visitor_gets_only_the_csrf_cookie(client, db):
    response = client.get(NEW)
    assert set(response.cookies) == {"csrftoken"}
    assert "sessionid" not in client.cookies


def test_an_anonymous_visitor_is_asked_for_an_email(client, db):
    assert 'name="contact_email"' in client.get(NEW).content.decode()


def test_a_signed_in_runner_is_not_asked_for_an_email(runner_client):
    page = runner_client.get(NEW).content.decode()
    assert 'name="contact_email"' not in page
    assert "You are signed in" in page


# Bad input


@pytest.mark.parametrize(("overrides", "message"), [
    ({"kind": ""}, "This field is required"),
    ({"kind": "everything"}, "Select a valid choice"),
    ({"contact_email": "not-an-email"}, "Enter a valid email address"),
    ({"contact_email": ""}, "This field is required"),
    ({"details": "x" * 4001}, "at most 4000 characters"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(client, db, overrides,
                                                                  message):
    response = file_request(client, **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DataRequest.objects.exists()
    assert not mail.outbox


def test_details_of_exactly_4000_characters_are_accepted(client, db):
    assert file_request(client, details="x" * 4000).status_code == 302
    assert len(DataRequest.objects.get().details) == 4000


def test_a_request_without_the_csrf_token_is_refused(db):
    response = file_request(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not DataRequest.objects.exists()
    assert not mail.outbox


# An anonymous request


def test_an_anonymous_request_waits_for_verification(client, db):
    response = file_request(client, contact_email=" Asker@Example.COM ")
    ticket = DataRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.status == "awaiting_verification"
    assert ticket.reference == f"JR-{timezone.localdate().year}-0001"
    assert (ticket.kind, ticket.regime, ticket.channel) == ("erasure", "gdpr", "web_form")
    assert ticket.contact_email == "asker@example.com"
    assert ticket.details == "Please delete everything."
    assert ticket.user is None
    assert (ticket.verified_at, ticket.verification) == (None, "")
    assert ticket.due_on == deadlines.add_months(timezone.localdate(ticket.received_at), 1)
    assert ticket.closed_at is None


def test_an_anonymous_request_gets_the_acknowledgement_and_the_verification_link(client, db):
    staff = make_staff()
    file_request(client)
    ticket = DataRequest.objects.get()
    assert recipients() == [["asker@example.com"], ["asker@example.com"]]
    assert staff.email not in sum(recipients(), [])

    acknowledgement, verification = mail.outbox
    assert ticket.reference in acknowledgement.subject
    assert ticket.reference in acknowledgement.body
    assert date_format(ticket.due_on, "DATE_FORMAT") in acknowledgement.body
    assert settings.SITE_URL + ticket.get_absolute_url() in acknowledgement.body
    assert "confirm it is you" in acknowledgement.body

    assert ticket.reference in verification.subject
    verify_url = settings.SITE_URL + reverse("privacy:verify_request", args=[ticket.reference])
    assert re.search(re.escape(verify_url) + r"\?token=\S+", verification.body)
    assert "within 24 hours" in verification.body
    # The verification email is not a way into the ticket.
    assert ticket.link_key not in verification.body


def test_references_are_numbered_in_order_within_the_year(client, db):
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        file_request(client, contact_email=email)
    year = timezone.localdate().year
    references = list(DataRequest.objects.order_by("pk").values_list("reference", flat=True))
    assert references == [f"JR-{year}-0001", f"JR-{year}-0002", f"JR-{year}-0003"]


def test_each_ticket_has_its_own_private_link(client, db):
    file_request(client, contact_email="a@example.com")
    file_request(client, contact_email="b@example.com")
    first, second = DataRequest.objects.order_by("pk")
    assert len(first.link_key) >= 40
    assert first.link_key != second.link_key


# A signed-in request


def test_a_signed_in_request_is_verified_by_the_session(runner_client, runner):
    response = file_request(runner_client, contact_email="someone-else@example.com")
    ticket = DataRequest.objects.get()
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.status == "in_progress"
    assert ticket.verification == "session"
    assert ticket.verified_at is not None
    assert ticket.user == runner
    assert ticket.channel == "account"
    # The answer goes to the account's address, not one typed into the form.
    assert ticket.contact_email == "runner@example.com"


def test_a_signed_in_request_is_acknowledged_to_the_account_and_staff_are_told(runner_client):
    make_staff()
    file_request(runner_client)
    ticket = DataRequest.objects.get()
    assert recipients() == [["runner@example.com"], ["staff@example.com"]]
    acknowledgement, staff_email = mail.outbox
    assert ticket.reference in acknowledgement.body
    assert "confirm it is you" not in acknowledgement.body
    assert ticket.reference in staff_email.subject
    assert f"/admin/privacy/datarequest/{ticket.pk}/change/" in staff_email.body
    # Staff are told of the ticket, not who asked.
    assert "runner@example.com" not in staff_email.body


def test_staff_without_the_permission_are_not_told(runner_client):
    make_staff(is_superuser=False)
    file_request(runner_client)
    assert recipients() == [["runner@example.com"]]


def test_staff_given_the_permission_are_told(runner_client):
    clerk = make_staff("clerk@example.com", is_superuser=False)
    clerk.user_permissions.add(Permission.objects.get(
        codename="view_datarequest", content_type__app_label="privacy"))
    file_request(runner_client)
    assert ["clerk@example.com"] in recipients()


# An opt-out of sale or sharing


def test_an_opt_out_is_completed_at_once_without_verification(client, db):
    make_staff()
    file_request(client, kind=Kind.CCPA_OPT_OUT, details="")
    ticket = DataRequest.objects.get()
    received = timezone.localdate(ticket.received_at)
    assert ticket.status == "completed"
    assert ticket.verification == "not_needed"
    assert ticket.regime == "ccpa"
    assert ticket.due_on == deadlines.add_business_days(received, 15)
    assert 19 <= (ticket.due_on - received).days <= 21 and ticket.due_on.weekday() < 5
    assert ticket.closed_at is not None
    assert ticket.response_sent_at is not None
    assert "does not sell or share" in ticket.outcome


def test_an_opt_out_is_acknowledged_and_answered_that_we_sell_nothing(client, db):
    file_request(client, kind=Kind.CCPA_OPT_OUT, details="")
    ticket = DataRequest.objects.get()
    assert recipients() == [["asker@example.com"], ["asker@example.com"]]
    acknowledgement, completion = mail.outbox
    assert ticket.reference in acknowledgement.subject
    assert "confirm it is you" not in acknowledgement.body
    assert ticket.reference in completion.subject
    assert "does not sell or share personal information" in completion.body
    assert "/verify/" not in acknowledgement.body + completion.body


def test_an_address_we_cannot_send_to_is_refused_next_to_the_field(client, db):
    for address in ("w@ex\u202eample.com", "a@b\u200e.com"):
        response = file_request(client, contact_email=address)
        assert response.status_code == 400
        assert "We cannot send email to this address" in response.content.decode()
    assert not DataRequest.objects.exists()
    assert not mail.outbox
