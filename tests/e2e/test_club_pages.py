"""The pages the clubs issue added, as a phone shows them: one heading, landmarks, a label
on every field, nothing wider than the screen, nothing the Content-Security-Policy blocks;
and the Share button on a club page."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from clubs import services, unsubscribe
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user
from tests.e2e.test_email_pages import assert_fits_a_phone
from tests.e2e.test_run_journeys import log_in
from tests.e2e.test_site_quality import collect_problems

pytestmark = pytest.mark.browser


def test_the_club_pages_read_well_on_a_phone(page, db):
    problems = collect_problems(page)
    organiser = make_user("organiser@example.com", "Bojan")
    runner = make_user("ana@example.com", "Ana")
    club = make_club(organiser, description="Easy runs around Tivoli, every week.")
    make_club_run(club, organiser, title="Hill loop")
    other = make_club(make_user("dora@example.com", "Dora"), name="Castle Runners")
    services.invite(other, by=other.organisers.get().user, email=organiser.email)
    token = quote(unsubscribe.make_token(runner, club))
    for path in ["/clubs/", "/clubs/?q=tivoli", club.get_absolute_url(),
                 f"/clubs/unsubscribe/?token={token}", "/clubs/unsubscribe/?token=broken"]:
        page.goto(path)
        assert_fits_a_phone(page, path)

    page.goto("/accounts/login/")
    log_in(page, "organiser@example.com")
    for path in ["/clubs/new/", club.get_absolute_url(), f"/clubs/{club.slug}/edit/",
                 f"/clubs/{club.slug}/close/", f"/clubs/{other.slug}/invitation/",
                 f"/runs/new/?club={club.slug}"]:
        page.goto(path)
        assert_fits_a_phone(page, path)
    # The broken link answers 400 on purpose; nothing else may complain.
    assert [p for p in problems if "status of 400" not in p] == []


def test_share_on_a_club_page_copies_its_address_where_there_is_no_share_sheet(
    browser, live_server, settings, db
):
    settings.SITE_URL = live_server.url
    club = make_club(make_user("organiser@example.com", "Bojan"))
    context = browser.new_context(base_url=live_server.url)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"],
                                  origin=live_server.url)
        # A desktop browser without the Web Share API.
        context.add_init_script("delete Navigator.prototype.share")
        page = context.new_page()
        problems = collect_problems(page)
        page.goto(club.get_absolute_url())
        page.get_by_role("link", name="Share").click()
        expect(page.get_by_text("Link copied")).to_be_visible()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == f"{live_server.url}{club.get_absolute_url()}"
        # The feed's address has its own Copy button.
        page.get_by_role("button", name="Copy").click()
        expect(page.get_by_text("Address copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()").endswith(
            f"/clubs/{club.slug}/calendar.ics")
        assert problems == []
    finally:
        context.close()
