"""A data request as people meet it, in Chromium: an anonymous visitor asks for their
account to be erased, confirms it from the email, and staff answer it in the admin."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from privacy.models import DataRequest
from tests.conftest import make_user
from tests.e2e.conftest import PHONE, staff_sign_in

pytestmark = pytest.mark.browser



def test_erasure_request_from_form_to_completion(browser, live_server, settings, db):
    settings.SITE_URL = live_server.url
    make_user("leaving@example.com", "Leaving runner")
    staff = make_user("staff@example.com", "Staff", is_staff=True, is_superuser=True)
    # Another open request, due later, so the list's order shows.
    later = DataRequest(kind="access", contact_email="later@example.com")
    later.save()

    visitor = browser.new_context(viewport=PHONE, base_url=live_server.url)
    visitor.set_default_timeout(10_000)
    page = visitor.new_page()
    page.goto("/privacy/#your-rights")  # the link to it opens the folded "Your rights"
    page.locator("a[href='/privacy/requests/new/?kind=erasure']").first.click()
    expect(page.get_by_label("Erasure: delete my data (GDPR)")).to_be_checked()
    page.get_by_label("Email").fill("leaving@example.com")
    page.get_by_label("Details").fill("Please delete my account.")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".request-status")).to_have_text("Awaiting verification")

    ticket = DataRequest.objects.get(contact_email="leaving@example.com")
    verify = next(m for m in mail.outbox if "Confirm your data request" in m.subject)
    page.goto(re.search(r"http://\S+/verify/\?token=\S+", verify.body)[0].replace(
        "http://testserver", live_server.url))
    # Opening the link verifies nothing (a mail scanner opens links too): the button does.
    expect(page.get_by_role("heading", name="Confirm your data request")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == "awaiting_verification"
    page.get_by_role("button", name="Confirm my request").click()
    expect(page.locator(".request-status")).to_have_text("In progress")
    status_url = page.url

    # Time passes: the request is overdue when staff get to it.
    ticket.refresh_from_db()
    ticket.received_at = timezone.now() - timedelta(days=40)
    ticket.recompute_dates()
    ticket.save()

    staff_context = browser.new_context(base_url=live_server.url)
    staff_context.set_default_timeout(10_000)
    admin = staff_context.new_page()
    staff_sign_in(admin, staff.email)
    admin.get_by_role("link", name="Data requests").first.click()
    first_row = admin.locator("#result_list tbody tr").first
    expect(first_row).to_contain_text(ticket.reference)
    expect(first_row.locator(".days-left-overdue")).to_be_visible()
    first_row.get_by_role("link", name=ticket.reference).click()
    expect(admin.locator(".field-account_summary")).to_contain_text("Leaving runner")

    admin.get_by_role("link", name="Erase the account").click()
    admin.get_by_role("button", name="Erase the account for good").click()
    expect(admin.get_by_text("The account is erased.")).to_be_visible()
    admin.get_by_role("link", name="Complete with a reply").click()
    admin.get_by_label("Reply to the requester").fill(
        "Your account and everything about it is erased.")
    admin.get_by_role("button", name="Complete and email the reply").click()
    expect(admin.get_by_text("Completed; the reply has been emailed.")).to_be_visible()

    assert not User.objects.filter(email="leaving@example.com").exists()
    done = [m for m in mail.outbox if m.to == ["leaving@example.com"] and "is done" in m.subject]
    assert len(done) == 1 and "Your account and everything about it is erased." in done[0].body

    page.goto(status_url)
    expect(page.locator(".request-status")).to_have_text("Completed")
    expect(page.get_by_text("Your account and everything about it is erased.")).to_be_visible()
    visitor.close()
    staff_context.close()
