"""A data request's page in the admin fits the staff's day: the two everyday steps as
buttons, the history in words, labels staff understand, and the add form set for email."""

import re

import pytest
from django.core import mail
from django.test import Client

from privacy import services
from privacy.models import DataRequest, Kind, Status, Verification
from tests.privacy.test_admin_actions import TICKETS, fresh, make_ticket, shown_messages
from tests.privacy.test_admin_requests import readonly_value, staff_with


@pytest.fixture(autouse=True)
def exports_in_tmp(settings, tmp_path):
    settings.DATA_EXPORT_DIR = str(tmp_path)


def page_of(client, ticket):
    response = client.get(f"{TICKETS}{ticket.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def awaiting(email="runner@example.com"):
    return services.file_request(DataRequest(kind=Kind.ACCESS, contact_email=email))


def history(page):
    inline = page[page.index('id="events-group"'):]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in
            re.findall(r'<td class="field-what">(.*?)</td>', inline, re.S)]


# The buttons


def test_an_unverified_ticket_has_a_mark_verified_button_that_posts(staff_client):
    ticket = awaiting()
    page = page_of(staff_client, ticket)

    form = re.search(rf'<form method="post" action="{TICKETS}{ticket.pk}/verify/">(.*?)</form>',
                     page, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form[1] and "Mark verified" in form[1]
    assert "Build the data export" not in page  # not before it is verified


def test_mark_verified_button_verifies_as_the_bulk_action_does(staff_client, staff):
    ticket = awaiting(email="stranger@example.com")
    mail.outbox.clear()

    response = staff_client.post(f"{TICKETS}{ticket.pk}/verify/", follow=True)

    assert response.redirect_chain[-1][0] == f"{TICKETS}{ticket.pk}/change/"
    assert "Verified; work on the request can start." in shown_messages(response)
    ticket = fresh(ticket)
    assert (ticket.status, ticket.verification) == (Status.IN_PROGRESS, Verification.STAFF)
    event = ticket.events.last()
    assert (event.action, event.actor) == ("verified", staff)
    assert len(mail.outbox) == 1  # staff are told of the new request, as by the action


def test_build_export_button_builds_and_emails_the_export(staff_client, runner):
    ticket = make_ticket(user=runner)
    page = page_of(staff_client, ticket)
    assert f'action="{TICKETS}{ticket.pk}/export/"' in page
    assert "Mark verified" not in page  # verified already
    mail.outbox.clear()

    response = staff_client.post(f"{TICKETS}{ticket.pk}/export/", follow=True)

    assert "Export built; its link has been emailed." in shown_messages(response)
    assert fresh(ticket).export_file
    assert [m.to for m in mail.outbox] == [[runner.email]]
    assert "Export built and its link emailed" in history(response.content.decode())


def test_a_step_that_does_not_apply_says_why_and_changes_nothing(staff_client):
    ticket = awaiting()

    response = staff_client.post(f"{TICKETS}{ticket.pk}/export/", follow=True)

    assert response.status_code == 200
    assert shown_messages(response)  # the service's reason, as for the bulk action
    assert not fresh(ticket).export_file


def test_the_buttons_only_answer_a_post(staff_client):
    ticket = awaiting()
    for step in ("verify", "export"):
        assert staff_client.get(f"{TICKETS}{ticket.pk}/{step}/").status_code == 405
    assert fresh(ticket).status == Status.AWAITING_VERIFICATION


def test_the_buttons_need_the_csrf_token(staff):
    ticket = awaiting()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)

    assert browser.post(f"{TICKETS}{ticket.pk}/verify/").status_code == 403
    assert fresh(ticket).status == Status.AWAITING_VERIFICATION


def test_the_buttons_need_the_change_permission(client, db):
    ticket = awaiting()
    client.force_login(staff_with("view_datarequest"))

    assert "Mark verified" not in page_of(client, ticket)
    assert client.post(f"{TICKETS}{ticket.pk}/verify/").status_code == 403
    assert client.post(f"{TICKETS}{ticket.pk}/export/").status_code == 403
    assert fresh(ticket).status == Status.AWAITING_VERIFICATION


def test_the_bulk_actions_stay(staff_client):
    actions = page_of(staff_client, awaiting()) and staff_client.get(TICKETS).content.decode()
    assert 'value="mark_verified"' in actions
    assert 'value="build_export"' in actions


# The history in words


def test_history_says_what_happened_in_words(staff_client, staff):
    ticket = awaiting(email="stranger@example.com")
    services.mark_verified(ticket, how=Verification.EMAIL_LINK)
    services.record_objection(ticket, actor=staff)

    page = page_of(staff_client, ticket)

    assert re.search(r"<h2[^>]*>\s*History\s*</h2>", page)
    assert history(page) == ["Request received", "Verified by email link",
                             "Objection recorded"]
    assert "Awaiting verification → In progress" in page
    cells = " ".join(re.findall(r'<td class="field-(?:who|what|status_change)">(.*?)</td>',
                                page, re.S))
    for code in ("email_link", "awaiting_verification", "objection_recorded", "requester"):
        assert code not in cells
    assert "Requester" in cells and f"Staff: {staff.display_name}" in cells


# Labels and the account


def test_the_purge_date_is_called_contact_details_purged_at(staff_client):
    page = page_of(staff_client, make_ticket(status=Status.COMPLETED))
    assert "Contact details purged at" in page
    assert "Pii purged at" not in page
    assert readonly_value(page, "contact_details_purged_at") == "-"  # not yet, not "None"


def test_unverified_request_from_an_accounts_address_says_it_links_once_verified(
        staff_client, runner):
    ticket = awaiting(email=runner.email)

    summary = readonly_value(page_of(staff_client, ticket), "account_summary")

    assert summary == ("An account has this email; it will be linked once the request is "
                       "verified.")
    assert runner.display_name not in summary  # nothing about the account before then
    assert fresh(ticket).user is None  # looking does not link it


def test_unverified_request_from_an_unknown_address_has_no_account(staff_client, db):
    ticket = awaiting(email="stranger@example.com")
    summary = readonly_value(page_of(staff_client, ticket), "account_summary")
    assert summary.startswith("No account linked")


# Adding a request


def test_add_data_request_defaults_the_channel_to_email(staff_client):
    page = staff_client.get(f"{TICKETS}add/").content.decode()
    assert re.search(r'<option value="email" selected>', page)
