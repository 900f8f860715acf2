"""Staff read the data-request list on a 1280 px screen: every column fits, no sideways
scrolling, the deadline and the days left first."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from privacy import services
from privacy.models import DataRequest, Kind, Status
from tests.conftest import PASSWORD
from tests.e2e.conftest import staff_sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}


def make_tickets():
    now = timezone.now()
    staff = User.objects.get(email="staff@example.com")
    for days_ago, kind, status in [
        (40, Kind.PORTABILITY, Status.IN_PROGRESS),
        (20, Kind.RECTIFICATION, Status.AWAITING_VERIFICATION),
        (3, Kind.CCPA_OPT_OUT, Status.COMPLETED),
        (1, Kind.CCPA_KNOW, Status.AWAITING_REQUESTER),
    ]:
        DataRequest.objects.create(
            kind=kind, status=status, received_at=now - timedelta(days=days_ago),
            contact_email=f"a-rather-long-address-{days_ago}@runners-of-the-world.example.com",
            assignee=staff)


def sign_in(page):
    staff_sign_in(page, "staff@example.com")


def test_the_data_request_list_fits_a_laptop_screen(browser, live_server):
    User.objects.create_superuser("staff@example.com", PASSWORD)
    make_tickets()
    context = browser.new_context(viewport=LAPTOP, base_url=live_server.url)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto("/admin/privacy/datarequest/")

        assert page.locator("#result_list tbody tr").count() == 4
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"the page is {width} px wide"
        # The admin scrolls a wide table inside its own box: that must not scroll either.
        table, box = page.locator(".results").evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert table <= box, f"the table is {table} px wide in a {box} px box"
        headings = [h.strip() for h in page.locator("#result_list thead th").all_text_contents()]
        assert headings[1:3] == ["Due", "Days left"]  # after the select-all box
    finally:
        context.close()


def test_staff_verify_a_ticket_with_its_button(browser, live_server):
    User.objects.create_superuser("staff@example.com", PASSWORD)
    ticket = services.file_request(DataRequest(kind=Kind.ACCESS,
                                               contact_email="someone@example.com"))
    context = browser.new_context(viewport=LAPTOP, base_url=live_server.url)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto(f"/admin/privacy/datarequest/{ticket.pk}/change/")
        page.get_by_role("button", name="Mark verified").click()

        expect(page.get_by_text("Verified; work on the request can start.")).to_be_visible()
        expect(page.locator("#events-group").get_by_text("Verified by staff")).to_be_visible()
        expect(page.get_by_role("button", name="Mark verified")).to_have_count(0)
    finally:
        context.close()
