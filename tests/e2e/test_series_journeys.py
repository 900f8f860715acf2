"""A weekly series as one thing, in Chromium on a phone: a runner joins every date in one
tap and then leaves one; the organiser adds four weeks and moves this and the later dates
by half an hour, and each runner gets one email about it."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from runs import series
from runs.models import Participation
from tests.conftest import make_user
from tests.e2e.conftest import PHONE
from tests.e2e.test_run_journeys import (  # noqa: F401
    TITLE,
    browser_of,
    emails_to,
    in_three_days_at_half_past_six,
    site_url_is_live_server,
)
from tests.e2e.test_site_quality import collect_problems
from tests.runs.test_series import make_series

pytestmark = pytest.mark.browser

PLACE = "Tivoli park, main entrance"


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def card(page, run):
    return page.locator(f"#date-{run.pk}")


def at(run, format_string="%H:%M"):
    return timezone.localtime(run.starts_at).strftime(format_string)


def test_a_runner_joins_a_whole_series_then_leaves_one_date(browser_of):  # noqa: F811
    bojan = make_user("bojan@example.com", "Bojan")
    ana = make_user("ana@example.com", "Ana")
    runs = make_series(bojan, 4, starts_at=in_three_days_at_half_past_six(), title=TITLE,
                       meeting_point=PLACE, capacity=1)
    runs[2].join(make_user("eva@example.com", "Eva"))  # the third date is full
    page = browser_of("ana@example.com")
    problems = collect_problems(page)

    page.goto(runs[0].get_absolute_url())
    every = series.every_weekday(runs[0].starts_at)
    page.get_by_role("link", name=f"{every}, 3 more dates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)  # the only h1
    expect(page.get_by_text(f"{every} at 18:30")).to_be_visible()
    fits_the_phone(page)

    page.get_by_role("button", name="Join every upcoming date").click()
    said = page.get_by_role("status")
    expect(said).to_contain_text("You're going on 3 dates")
    expect(said).to_contain_text(
        f"Full, so you're on the waitlist of 1 date: {series.short_date(runs[2].starts_at)} (#1)")
    for run in (runs[0], runs[1], runs[3]):
        expect(card(page, run).get_by_text("You're going")).to_be_visible()
    expect(card(page, runs[2]).get_by_text("You're #1 on the waitlist")).to_be_visible()
    expect(page.get_by_role("button", name="Join every upcoming date")).to_have_count(0)
    expect(page.get_by_text(
        "You're on every upcoming date, going or on its waitlist.")).to_be_visible()
    fits_the_phone(page)

    # The second date no longer suits her: she leaves that one only, on its own page.
    card(page, runs[1]).get_by_role("link").click()
    expect(page.get_by_text("You're going", exact=True)).to_be_visible()
    page.get_by_role("button", name="Leave run").click()
    expect(page.get_by_role("status").get_by_text("You left the run.")).to_be_visible()

    page.get_by_role("link", name=re.compile(rf"^{every}, \d more date")).click()
    expect(card(page, runs[1]).locator(".my-status")).to_have_count(0)
    expect(card(page, runs[0]).get_by_text("You're going")).to_be_visible()
    expect(card(page, runs[3]).get_by_text("You're going")).to_be_visible()
    expect(page.get_by_role("button", name="Join every upcoming date")).to_be_visible()
    places = dict(Participation.objects.filter(runner=ana).values_list("run", "status"))
    assert places == {runs[0].pk: "going", runs[2].pk: "waitlisted", runs[3].pk: "going"}
    assert mail.outbox == []
    assert problems == []  # nothing the Content-Security-Policy blocked


@pytest.mark.usefixtures("site_url_is_live_server")
def test_the_organiser_adds_four_weeks_and_moves_this_and_later_dates(browser_of):  # noqa: F811
    bojan = make_user("bojan@example.com", "Bojan")
    ana = make_user("ana@example.com", "Ana")
    bor = make_user("bor@example.com", "Bor")
    runs = make_series(bojan, 2, starts_at=in_three_days_at_half_past_six(), title=TITLE,
                       meeting_point=PLACE, capacity=10)
    series.join_all(runs[0].series, ana)
    runs[1].join(bor)
    every = series.every_weekday(runs[0].starts_at)
    page = browser_of("bojan@example.com")

    page.goto(runs[0].get_absolute_url())
    page.get_by_role("link", name=f"{every}, 1 more date").click()
    page.get_by_label("Weeks to add").fill("4")
    page.get_by_role("button", name="Add more weeks").click()
    expect(page.get_by_role("status")).to_contain_text("4 dates added")
    expect(page.locator("li.run-card")).to_have_count(6)
    fits_the_phone(page)
    assert mail.outbox == []  # nobody has joined the new dates yet

    # Half an hour later, from the first date on.
    page.get_by_role("link", name=f"Edit {series.short_date(runs[0].starts_at)}").click()
    later = runs[0].starts_at + timedelta(minutes=30)
    page.get_by_label("Starts at").fill(timezone.localtime(later).strftime("%Y-%m-%dT%H:%M"))
    saved_for = page.get_by_role("group", name="Save the changes for")
    saved_for.get_by_label("This and later dates").check()
    fits_the_phone(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").get_by_text(
        "Your changes are saved on 6 dates. 2 runners were emailed.", exact=True)).to_be_visible()

    page.get_by_role("link", name=f"{every}, 5 more dates").click()
    expect(page.get_by_text(f"{every} at 19:00")).to_be_visible()
    for time_shown in page.locator("li.run-card time").all_inner_texts():
        assert time_shown.endswith("19:00")

    (to_ana,) = emails_to(ana.email)
    (to_bor,) = emails_to(bor.email)
    assert len(mail.outbox) == 2
    assert to_ana.subject == f"New time: {TITLE} (2 dates)"
    assert to_bor.subject == f"New time: {TITLE}"
    assert to_ana.body.count("New time: ") == 2 and to_bor.body.count("New time: ") == 1

    # Ana follows the series link in her email and sees her places at the new time.
    (link,) = [line for line in to_ana.body.splitlines() if "/runs/series/" in line]
    runner = browser_of("ana@example.com")
    runner.goto(link)
    for run in runs:
        expect(card(runner, run)).to_contain_text("19:00")
        expect(card(runner, run).get_by_text("You're going")).to_be_visible()


@pytest.mark.usefixtures("site_url_is_live_server")
def test_the_organiser_cancels_this_and_later_dates_with_confirmation_then_reopens_them(
    browser_of,  # noqa: F811
):
    bojan = make_user("bojan@example.com", "Bojan")
    ana = make_user("ana@example.com", "Ana")
    runs = make_series(bojan, 3, starts_at=in_three_days_at_half_past_six(), title=TITLE,
                       meeting_point=PLACE, capacity=10)
    series.join_all(runs[0].series, ana)
    page = browser_of("bojan@example.com")
    problems = collect_problems(page)

    # From the second date on: the page asks first and says who will be told.
    page.goto(f"/runs/{runs[1].pk}/edit/")
    page.get_by_label("Reason (optional)").fill("The park is closed for works")
    page.get_by_role("group", name="Which dates").get_by_label("This and later dates").check()
    page.get_by_role("button", name="Cancel run").click()
    expect(page.get_by_text("1 runner will be emailed.")).to_be_visible()
    fits_the_phone(page)
    assert mail.outbox == [] and not any(r.is_cancelled for r in fresh(runs))
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.locator(".messages")).to_contain_text("2 runs are cancelled.")
    assert [r.is_cancelled for r in fresh(runs)] == [False, True, True]
    (cancelled,) = emails_to(ana.email)
    assert cancelled.subject == f"Cancelled: {TITLE} (2 dates)"

    # A mistake: both dates come back in one action, and Ana is told once.
    page.get_by_role("button", name="Reopen this and 1 later date").click()
    expect(page.locator(".messages")).to_contain_text("open again")
    assert [r.is_cancelled for r in fresh(runs)] == [False, False, False]
    assert len(emails_to(ana.email)) == 2
    runner = browser_of("ana@example.com")
    runner.goto(runs[0].get_absolute_url())
    runner.get_by_role("link", name=re.compile(r", 2 more dates$")).click()
    for run in runs:
        expect(card(runner, run).get_by_text("You're going")).to_be_visible()
    assert problems == []


def fresh(runs):
    return [type(run).objects.get(pk=run.pk) for run in runs]
