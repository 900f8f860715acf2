"""Forgiving organiser tools on a phone: cancelling asks first and says who will be
emailed; a run cancelled by mistake is reopened, and its runner finds their place again
(and was told both times)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from runs.models import Run
from tests.conftest import make_user
from tests.e2e.test_run_journeys import (  # noqa: F401
    TITLE,
    browser_of,
    emails_to,
    make_run,
    site_url_is_live_server,
)

pytestmark = pytest.mark.browser


def fits_the_screen(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


@pytest.mark.usefixtures("site_url_is_live_server")
def test_organiser_cancels_with_confirmation_and_reopens(browser_of, live_server):  # noqa: F811
    run = make_run(make_user("bojan@example.com", "Bojan"), capacity=2)
    make_user("ana@example.com", "Ana")
    make_user("bor@example.com", "Bor")
    ana = browser_of("ana@example.com")
    ana.goto(run.get_absolute_url())
    ana.get_by_role("button", name="Join run", exact=True).click()
    expect(ana.get_by_text("You're going", exact=True)).to_be_visible()
    bor = browser_of("bor@example.com")
    bor.goto(run.get_absolute_url())
    bor.get_by_role("button", name="Join run", exact=True).click()
    expect(bor.get_by_text("You're going", exact=True)).to_be_visible()

    organiser = browser_of("bojan@example.com")
    organiser.goto(run.get_absolute_url())
    organiser.get_by_role("link", name="Edit or cancel this run").click()
    organiser.get_by_label("Reason (optional)").fill("Thunderstorm forecast")
    organiser.get_by_role("button", name="Cancel run").click()

    # The confirmation step: nothing has happened yet.
    expect(organiser.get_by_role("heading", level=1)).to_have_text(f"Cancel “{TITLE}”?")
    expect(organiser.get_by_text("2 runners will be emailed.")).to_be_visible()
    expect(organiser.get_by_text("“Thunderstorm forecast”")).to_be_visible()
    fits_the_screen(organiser)
    assert not Run.objects.get(pk=run.pk).is_cancelled
    assert mail.outbox == []
    organiser.get_by_role("button", name="Yes, cancel").click()

    expect(organiser.get_by_role("status").get_by_text(
        "The run is cancelled. 2 runners were emailed.")).to_be_visible()
    expect(organiser.get_by_text("This run is cancelled.")).to_be_visible()
    ana.reload()
    expect(ana.get_by_text("This run is cancelled.")).to_be_visible()
    expect(ana.get_by_text("You had a place", exact=True)).to_be_visible()
    expect(ana.get_by_role("button", name=re.compile("Join|Leave"))).to_have_count(0)

    # A mistake: the organiser reopens it from the run page.
    organiser.get_by_role("button", name="Reopen this run").click()
    expect(organiser.get_by_role("status").get_by_text(
        "The run is open again. 2 runners were emailed.")).to_be_visible()
    expect(organiser.get_by_text("This run is cancelled.")).to_have_count(0)
    fits_the_screen(organiser)

    ana.reload()
    expect(ana.get_by_text("You're going", exact=True)).to_be_visible()
    expect(ana.get_by_text("This run is cancelled.")).to_have_count(0)
    expect(ana.get_by_role("button", name="Leave run")).to_be_visible()
    fits_the_screen(ana)

    for address in ("ana@example.com", "bor@example.com"):
        cancelled, reopened = emails_to(address)
        assert cancelled.subject == f"Cancelled: {TITLE}"
        assert "Thunderstorm forecast" in cancelled.body
        assert reopened.subject == f"On again: {TITLE}"
        assert "You have your place back: you're going." in reopened.body
    link = live_server.url + run.get_absolute_url()
    assert link in reopened.body.splitlines()
    bor.goto(link)  # the link in the email shows his place
    expect(bor.get_by_text("You're going", exact=True)).to_be_visible()


def test_organiser_removes_a_runner_and_the_waitlist_moves(browser_of):  # noqa: F811
    run = make_run(make_user("bojan@example.com", "Bojan"), capacity=1)
    ana = make_user("ana@example.com", "Ana")
    bor = make_user("bor@example.com", "Bor")
    run.join(ana)
    run.join(bor)

    organiser = browser_of("bojan@example.com")
    organiser.goto(run.get_absolute_url())
    organiser.get_by_role("link", name="Manage runners").click()
    organiser.get_by_role("link", name="Remove Ana").click()
    organiser.get_by_label("Reason (optional)").fill("Please join the beginners' run instead.")
    fits_the_screen(organiser)
    organiser.get_by_role("button", name="Remove from the run").click()
    expect(organiser.get_by_role("status").get_by_text(
        "Ana is no longer on the run. 1 runner moved up from the waitlist.")).to_be_visible()
    expect(organiser.get_by_role("heading", name="Going (1)")).to_be_visible()
    (removed,) = emails_to("ana@example.com")
    assert "Please join the beginners' run instead." in removed.body
    (promoted,) = emails_to("bor@example.com")
    assert promoted.subject == f"You're going: {TITLE}"
