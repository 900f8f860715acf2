import re
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from privacy import services
from privacy.models import DataRequest, DataRequestEvent, Kind
from tests.privacy.test_request_form import file_request, make_staff, recipients


def verify_link():
    """The path of the verification link in the last email sent."""
    match = re.search(r"\S+/verify/\?token=\S+", mail.outbox[-1].body)
    return match.group(0).removeprefix(settings.SITE_URL)


def verify_url(ticket, token=None):
    path = reverse("privacy:verify_request", args=[ticket.reference])
    return path if token is None else f"{path}?token={token}"


def press_the_button(client, link):
    """What a person does with the emailed link: opens the page, presses the button."""
    path, _, token = link.partition("?token=")
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my request" in page.content.decode()
    return client.post(path, {"token": token})


def token_signed(reference, *, hours_ago, monkeypatch):
    """A verification token for ``reference`` as if it had been signed ``hours_ago``."""
    with monkeypatch.context() as patch:
        signed_at = time.time() - hours_ago * 3600
        patch.setattr(signing, "time", SimpleNamespace(time=lambda: signed_at))
        return signing.TimestampSigner(salt=services.VERIFY_SALT).sign(reference)


@pytest.fixture
def ticket(client, db):
    file_request(client, contact_email="runner@example.com")
    return DataRequest.objects.get()


def test_the_emailed_link_verifies_the_request(client, ticket, runner):
    staff = make_staff()
    link = verify_link()
    mail.outbox.clear()
    response = press_the_button(client, link)
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.verified_at is not None
    assert ticket.verification == "email_link"
    # The account with the verified address is the one the request is about.
    assert ticket.user == runner
    assert recipients() == [[staff.email]]
    assert ticket.reference in mail.outbox[0].subject


def test_opening_the_link_verifies_nothing(client, ticket):
    # A mail scanner opens every link it finds; only the button (a POST) verifies.
    make_staff()
    mail.outbox.clear()
    for _ in range(3):
        page = client.get(services.verify_path(ticket))
        assert page.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.verified_at) == ("awaiting_verification", None)
    assert ticket.events.count() == 1  # received
    assert not mail.outbox


def test_the_button_is_a_form_with_a_csrf_token(ticket):
    browser = Client(enforce_csrf_checks=True)
    link = verify_link()
    page = browser.get(link).content.decode()
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page
    path, _, token = link.partition("?token=")
    response = browser.post(path, {"token": token})  # no CSRF token: refused
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "awaiting_verification"


def test_a_verified_request_without_an_account_links_none(client, db):
    file_request(client, contact_email="stranger@example.com")
    press_the_button(client, verify_link())
    ticket = DataRequest.objects.get()
    assert ticket.status == "in_progress"
    assert ticket.user is None


def test_a_second_click_changes_nothing(client, ticket):
    make_staff()
    link = verify_link()
    press_the_button(client, link)
    ticket.refresh_from_db()
    events, emails = ticket.events.count(), len(mail.outbox)

    # Opening the link again shows the request; pressing a stale button changes nothing.
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    path, _, token = link.partition("?token=")
    response = client.post(path, {"token": token})
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    again = DataRequest.objects.get()
    assert (again.status, again.verified_at) == ("in_progress", ticket.verified_at)
    assert again.events.count() == events
    assert len(mail.outbox) == emails


def test_a_link_a_day_old_still_works(client, ticket, monkeypatch):
    token = token_signed(ticket.reference, hours_ago=23, monkeypatch=monkeypatch)
    assert press_the_button(client, verify_url(ticket, token)).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_is_refused_and_says_so(client, ticket, monkeypatch, method):
    mail.outbox.clear()
    token = token_signed(ticket.reference, hours_ago=25, monkeypatch=monkeypatch)
    if method == "get":
        response = client.get(verify_url(ticket, token))
    else:
        response = client.post(verify_url(ticket), {"token": token})
    assert response.status_code == 400
    assert "more than 24 hours old" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.verified_at) == ("awaiting_verification", None)
    assert not mail.outbox


def tampered(token):
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize("make_token", [
    pytest.param(lambda ticket, link: tampered(link.split("token=")[1]), id="tampered"),
    pytest.param(lambda ticket, link: services.verify_path(
        DataRequest(reference="JR-2026-9999")).split("token=")[1], id="another-reference"),
    pytest.param(lambda ticket, link: signing.TimestampSigner().sign(ticket.reference),
                 id="another-salt"),
    pytest.param(lambda ticket, link: ticket.reference, id="reference-alone"),
    pytest.param(lambda ticket, link: "", id="empty"),
    pytest.param(lambda ticket, link: None, id="missing"),
])
def test_a_link_we_did_not_send_is_refused(client, ticket, make_token):
    token = make_token(ticket, verify_link())
    mail.outbox.clear()
    response = client.get(verify_url(ticket, token))
    assert response.status_code == 400
    assert "not a link we sent" in response.content.decode()
    response = client.post(verify_url(ticket), {"token": token} if token is not None else {})
    assert response.status_code == 400
    assert "not a link we sent" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.verified_at) == ("awaiting_verification", None)
    assert not mail.outbox


def test_another_tickets_link_does_not_verify_this_one(client, db):
    file_request(client, contact_email="a@example.com")
    first_link = verify_link()
    file_request(client, contact_email="b@example.com")
    first, second = DataRequest.objects.order_by("pk")
    token = first_link.split("token=")[1]
    assert client.get(verify_url(second, token)).status_code == 400
    assert client.post(verify_url(second), {"token": token}).status_code == 400
    second.refresh_from_db()
    assert second.status == "awaiting_verification"


def test_an_unknown_reference_is_refused(client, ticket):
    token = signing.TimestampSigner(salt=services.VERIFY_SALT).sign("JR-2026-9999")
    response = client.get(f"/privacy/requests/JR-2026-9999/verify/?token={token}")
    assert response.status_code == 400
    assert "not a link we sent" in response.content.decode()


def test_other_methods_are_refused(client, ticket):
    assert client.put(verify_link()).status_code == 405
    assert client.delete(verify_link()).status_code == 405


def test_an_opt_out_gets_no_verification_link(client, db):
    file_request(client, kind=Kind.CCPA_OPT_OUT)
    assert all("/verify/" not in message.body for message in mail.outbox)


def test_the_token_check_raises_for_expired_and_foreign_tokens(monkeypatch):
    fresh = signing.TimestampSigner(salt=services.VERIFY_SALT).sign("JR-2026-0001")
    assert services.check_verification_token("JR-2026-0001", fresh) is True
    with pytest.raises(signing.BadSignature):
        services.check_verification_token("JR-2026-0002", fresh)
    expired = token_signed("JR-2026-0001", hours_ago=25, monkeypatch=monkeypatch)
    with pytest.raises(signing.SignatureExpired):
        services.check_verification_token("JR-2026-0001", expired)


def test_verifying_writes_an_event_from_awaiting_verification_to_in_progress(client, ticket):
    press_the_button(client, verify_link())
    event = DataRequestEvent.objects.filter(request=ticket).last()
    assert (event.action, event.actor_label) == ("verified", "requester")
    assert (event.from_status, event.to_status) == ("awaiting_verification", "in_progress")
