"""Check-in at the meeting point, on a phone: the organiser opens the check-in list after
the start and taps the runners who came, one tap each; with JavaScript the row changes
in place, without it the page comes back at the runner's row. The run page then shows
who came. All under the site's strict Content-Security-Policy."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from runs.models import Participation, Run
from tests.conftest import make_user
from tests.e2e.test_run_journeys import browser_of  # noqa: F401 (a fixture)
from tests.e2e.test_site_quality import collect_problems

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser_of):  # noqa: F811 (the imported fixture)
    return browser_of


@pytest.fixture
def run_under_way(db):
    """A run that started 10 minutes ago, with three runners who had a place (made
    directly: joining a started run is refused)."""
    organiser = make_user("organiser@example.com", "Bojan")
    run = Run.objects.create(
        organiser=organiser, title="Tivoli tempo",
        starts_at=timezone.now() - timedelta(minutes=10),
        meeting_point="Tivoli park, main entrance", distance_km=Decimal("8"), capacity=10)
    for email, name in [("ana@example.com", "Ana"), ("bea@example.com", "Bea"),
                        ("cene@example.com", "Cene")]:
        Participation.objects.create(run=run, runner=make_user(email, name), status="going")
    return run


def row_of(page, run, name):
    participation = run.participations.get(runner__display_name=name)
    return page.locator(f"#runner-{participation.pk}"), participation


def fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_the_organiser_checks_runners_in_at_the_meeting_point(phone, run_under_way):
    run = run_under_way
    page = phone("organiser@example.com")
    problems = collect_problems(page)

    # From the run page, one button away.
    page.goto(f"/runs/{run.pk}/")
    page.get_by_role("link", name="Check in runners").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who came")
    expect(page.locator("#check-in-summary")).to_have_text("0 of 3 runners came.")
    assert fits_the_phone(page)

    # With JavaScript: the row changes where it is, the page is not reloaded.
    page.evaluate("window.stillTheSamePage = true")
    ana, _ = row_of(page, run, "Ana")
    ana.get_by_role("button", name="Came").click()
    expect(ana.get_by_role("button", name="Didn't come")).to_be_visible()
    expect(ana).to_contain_text("✓ Came")
    expect(page.locator("#check-in-summary")).to_have_text("1 of 3 runners came.")
    expect(page.locator("#check-in-said")).to_have_text("Ana came.")
    assert page.evaluate("window.stillTheSamePage") is True
    # A second tap takes it back, and a third marks her again.
    ana.get_by_role("button", name="Didn't come").click()
    expect(ana.get_by_role("button", name="Came")).to_be_visible()
    expect(page.locator("#check-in-summary")).to_have_text("0 of 3 runners came.")
    ana.get_by_role("button", name="Came").click()
    expect(ana).to_contain_text("✓ Came")
    assert page.evaluate("window.stillTheSamePage") is True
    assert problems == []

    # Without JavaScript (a second phone): the form posts and the page comes back at the row.
    plain = phone("organiser@example.com", javascript=False)
    plain.goto(f"/runs/{run.pk}/check-in/")
    bea, bea_participation = row_of(plain, run, "Bea")
    bea.get_by_role("button", name="Came").click()
    expect(plain).to_have_url(re.compile(rf"/runs/{run.pk}/check-in/#runner-"
                                         rf"{bea_participation.pk}$"))
    bea, _ = row_of(plain, run, "Bea")
    expect(bea).to_contain_text("✓ Came")
    expect(plain.locator("#check-in-summary")).to_have_text("2 of 3 runners came.")

    # The run page shows who came, as join run's own fact.
    page.goto(f"/runs/{run.pk}/")
    who = page.locator("section.who")
    expect(who.get_by_role("listitem").filter(has_text="Ana")).to_have_text("Ana · came")
    expect(who.get_by_role("listitem").filter(has_text="Bea")).to_have_text("Bea · came")
    expect(who.get_by_role("listitem").filter(has_text="Cene")).to_have_text("Cene")
    expect(who).to_contain_text("2 came.")
    assert fits_the_phone(page)
    assert problems == []


def test_a_runner_says_i_was_there_from_their_phone(phone, run_under_way):
    run = run_under_way
    page = phone("cene@example.com")
    problems = collect_problems(page)

    page.goto(f"/runs/{run.pk}/")
    expect(page.locator(".my-status")).to_have_text("You were going")
    page.get_by_role("button", name="I was there").click()

    expect(page.locator(".messages")).to_contain_text("Thanks: you're marked as having come.")
    expect(page.locator(".my-status")).to_have_text("You ran it")
    expect(page.locator("section.who").get_by_role("listitem").filter(has_text="Cene")
           ).to_have_text("Cene · came")
    assert page.get_by_role("button", name="Join run").count() == 0
    assert fits_the_phone(page)
    assert problems == []
