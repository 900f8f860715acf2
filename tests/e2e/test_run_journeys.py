"""Runs as people meet them: an organiser posts a weekly series, two runners share its one
place through the waitlist, the organiser cancels, and everyone sees (and is told) what
happened. Each runner has a browser of their own."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import dateformat, timezone, translation
from icalendar import Calendar
from playwright.sync_api import expect

from runs.models import Run
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.browser

LJUBLJANA = ZoneInfo("Europe/Ljubljana")
TITLE = "Tivoli tempo"


def in_three_days_at_half_past_six():
    """18:30 in Ljubljana, three days from now: a local wall-clock time, as organisers type it."""
    day = timezone.now().astimezone(LJUBLJANA) + timedelta(days=3)
    return day.replace(hour=18, minute=30, second=0, microsecond=0)


def shown(moment, format_string):
    """``moment`` as the English pages write it, in the site's time zone."""
    with translation.override("en"):
        return dateformat.format(moment.astimezone(LJUBLJANA), format_string)


def make_run(organiser, **fields):
    fields = {
        "title": TITLE, "starts_at": in_three_days_at_half_past_six(),
        "meeting_point": "Tivoli park, main entrance", "distance_km": Decimal("8"),
        "pace_min": 330, "pace_max": 360, "capacity": 1, **fields,
    }
    return Run.objects.create(organiser=organiser, **fields)


def log_in(page, email, password=PASSWORD):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="My runs")
           ).to_be_visible()


@pytest.fixture
def browser_of(browser, live_server):
    """Opens a phone-sized browser of its own for one person, logged in as ``email``;
    with JavaScript or without."""
    contexts = []

    def open_for(email, *, javascript=True):
        context = browser.new_context(viewport=PHONE, base_url=live_server.url,
                                      accept_downloads=True, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        log_in(page, email)
        return page

    yield open_for
    for context in contexts:
        context.close()


@pytest.fixture
def site_url_is_live_server(settings, live_server):
    # Links in emails point at SITE_URL; here that is the test server, so a runner can
    # follow them.
    settings.SITE_URL = live_server.url


def download_calendar(page):
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    download = download_info.value
    calendar = Calendar.from_ical(Path(download.path()).read_bytes())
    (event,) = calendar.walk("VEVENT")
    return download.suggested_filename, event


def emails_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_organiser_creates_a_weekly_series(browser_of):
    make_user("bojan@example.com", "Bojan")
    page = browser_of("bojan@example.com")
    first = in_three_days_at_half_past_six()

    page.goto("/runs/new/")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Starts at").fill(first.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Meeting point").fill("Tivoli park, main entrance")
    page.get_by_label("Distance (km)").fill("8")
    page.get_by_label("Fastest pace (min/km)").fill("5:30")
    page.get_by_label("Slowest pace (min/km)").fill("6:00")
    page.get_by_label("Capacity").fill("1")
    page.get_by_label("Repeat weekly for N more weeks").fill("3")
    page.get_by_role("button", name="Create run").click()

    expect(page.get_by_role("status").get_by_text("Your 4 runs are created")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("time")).to_have_text(shown(first, "l j F Y, H:i"))
    expect(page.get_by_text("5:30–6:00 /km")).to_be_visible()
    expect(page.get_by_text("1 spot left")).to_be_visible()

    filename, event = download_calendar(page)
    assert filename.endswith(".ics")
    assert str(event["SUMMARY"]) == TITLE
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == first

    page.get_by_role("link", name="Runs", exact=True).click()
    cards = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=TITLE))
    expect(cards).to_have_count(4)
    for week in range(4):
        # Same wall-clock time every week, across a daylight-saving change too.
        starts_at = (first.replace(tzinfo=None) + timedelta(weeks=week)).replace(tzinfo=LJUBLJANA)
        expect(cards.nth(week)).to_contain_text(shown(starts_at, "l j F Y, H:i"))
        expect(cards.nth(week)).to_contain_text("1 spot left")


@pytest.mark.usefixtures("site_url_is_live_server")
def test_two_runners_share_one_place_then_the_organiser_cancels(browser_of, live_server):
    run = make_run(make_user("bojan@example.com", "Bojan"))
    make_user("ana@example.com", "Ana")
    make_user("bor@example.com", "Bor")
    ana = browser_of("ana@example.com")
    bor = browser_of("bor@example.com")

    ana.goto(run.get_absolute_url())
    ana.get_by_role("button", name="Join run", exact=True).click()
    expect(ana.get_by_text("You're going", exact=True)).to_be_visible()

    bor.goto(run.get_absolute_url())
    expect(bor.get_by_text("Full", exact=True)).to_be_visible()
    bor.get_by_role("button", name="Join the waitlist").click()
    expect(bor.get_by_text("You're #1 on the waitlist", exact=True)).to_be_visible()
    assert mail.outbox == []

    ana.get_by_role("button", name="Leave run").click()
    # Her place would go to Bor, so leaving asks first.
    expect(ana.get_by_text("1 person is waiting; your place goes to them.")).to_be_visible()
    ana.get_by_role("button", name="Yes, leave the run").click()
    expect(ana.get_by_role("status").get_by_text("You left the run.")).to_be_visible()
    # Bor moved up into her place, so the run is full again.
    expect(ana.get_by_role("button", name="Join the waitlist")).to_be_visible()

    bor.reload()
    expect(bor.get_by_text("You're going", exact=True)).to_be_visible()
    (promoted,) = emails_to("bor@example.com")
    assert TITLE in promoted.subject
    link = live_server.url + run.get_absolute_url()
    assert link in promoted.body.splitlines()
    bor.goto(link)  # the link in the email works
    expect(bor.get_by_text("You're going", exact=True)).to_be_visible()

    organiser = browser_of("bojan@example.com")
    organiser.goto(run.get_absolute_url())
    organiser.get_by_role("link", name="Edit or cancel this run").click()
    organiser.get_by_label("Reason (optional)").fill("Storm warning for Ljubljana")
    organiser.get_by_role("button", name="Cancel run").click()
    expect(organiser.get_by_text("1 runner will be emailed.")).to_be_visible()
    organiser.get_by_role("button", name="Yes, cancel").click()
    expect(organiser.get_by_text("This run is cancelled.")).to_be_visible()
    expect(organiser.get_by_text("Storm warning for Ljubljana")).to_be_visible()
    expect(organiser.get_by_role("link", name="Edit or cancel this run")).to_have_count(0)

    for runner in (ana, bor):
        runner.goto(run.get_absolute_url())
        expect(runner.get_by_text("This run is cancelled.")).to_be_visible()
        expect(runner.get_by_role("button", name=re.compile("Join|Leave"))).to_have_count(0)
        runner.goto("/runs/")
        card = runner.get_by_role("listitem").filter(has=runner.get_by_role("link", name=TITLE))
        expect(card.get_by_text("Cancelled", exact=True)).to_be_visible()

    (cancelled,) = [m for m in emails_to("bor@example.com") if m is not promoted]
    assert cancelled.subject == f"Cancelled: {TITLE}"
    assert "Storm warning for Ljubljana" in cancelled.body
    assert link in cancelled.body
    assert emails_to("ana@example.com") == []  # she had left: nothing to tell her

    bor.goto(run.get_absolute_url())
    _, event = download_calendar(bor)
    assert str(event["SUMMARY"]) == f"Cancelled: {TITLE}"
    assert str(event["STATUS"]) == "CANCELLED"


def test_visitor_logs_in_from_a_run_page_and_comes_back_to_join(page):
    run = make_run(make_user("bojan@example.com", "Bojan"), capacity=None)
    make_user("ana@example.com", "Ana")

    page.goto(run.get_absolute_url())
    page.get_by_role("link", name="Join run", exact=True).click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    log_in(page, "ana@example.com")

    expect(page).to_have_url(re.compile(rf"{run.get_absolute_url()}$"))
    page.get_by_role("button", name="Join run", exact=True).click()
    expect(page.get_by_text("You're going", exact=True)).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Ana")).to_be_visible()


def test_edit_form_refuses_a_too_short_distance_and_keeps_the_run_as_it_was(browser_of):
    run = make_run(make_user("bojan@example.com", "Bojan"))
    page = browser_of("bojan@example.com")

    page.goto(run.get_absolute_url())
    page.get_by_role("link", name="Edit or cancel this run").click()
    page.get_by_label("Title").fill("Renamed run")
    distance = page.get_by_label("Distance (km)")
    distance.fill("0.1")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    field = page.locator(".field").filter(has=distance)
    expect(field.locator(".error")).to_have_text(
        "Ensure this value is greater than or equal to 0.5."
    )
    expect(distance).to_have_attribute("aria-invalid", "true")
    expect(distance).to_have_value("0.1")  # what was typed stays, to be corrected
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit “{TITLE}”")

    page.get_by_role("link", name="Back to the run").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("8 km")).to_be_visible()
    run.refresh_from_db()
    assert (run.title, run.distance_km) == (TITLE, Decimal("8"))


def test_a_field_error_is_announced_with_the_field(browser_of):
    run = make_run(make_user("bojan@example.com", "Bojan"))
    page = browser_of("bojan@example.com")
    page.goto(f"/runs/{run.pk}/edit/")
    page.get_by_label("Distance (km)").fill("0.1")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_label("Distance (km)")).to_have_accessible_description(
        re.compile("greater than or equal to 0.5")
    )
