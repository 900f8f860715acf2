"""The run page, the club page and the run form as people see them on a phone (390 px) and
on a laptop (1280 px): the join bar in reach at the bottom of a phone's screen without
covering anything, two columns on a wide screen, the run form in groups with the raw
coordinates folded away."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from runs.models import Run
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.e2e.conftest import PHONE, sign_in_by_cookie
from tests.runs.conftest import make_run, make_runners

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
LONG_DESCRIPTION = "\n\n".join(
    f"Part {n}: an easy loop through the park, then along the river and back." for n in range(12))


@pytest.fixture
def browser_as(browser, live_server):
    """A browser of ``user``'s own at ``viewport``, signed in (logging in has its own
    tests), or signed out without a user."""
    contexts = []

    def open_for(user=None, viewport=PHONE):
        context = browser.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(10_000)
        if user is not None:
            sign_in_by_cookie(context, live_server.url, user)
        contexts.append(context)
        return context.new_page()

    yield open_for
    for context in contexts:
        context.close()


def box(locator):
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def viewport_height(page):
    return page.evaluate("window.innerHeight")


def in_view(page, locator):
    found = box(locator)
    return found["y"] >= 0 and found["y"] + found["height"] <= viewport_height(page)


def a_long_run(organiser, **fields):
    """A run whose page is several screens tall on a phone, with runners to list."""
    run = make_run(organiser, title="Tivoli long loop", description=LONG_DESCRIPTION,
                   capacity=12, **fields)
    for runner in make_runners(6):
        run.join(runner)
    return run


def test_the_join_bar_is_in_reach_on_a_phone_and_covers_nothing_at_the_end(browser_as, db):
    organiser = make_user("organiser@example.com", "Bojan")
    run = a_long_run(organiser)
    page = browser_as(make_user("ana@example.com", "Ana"))
    page.goto(run.get_absolute_url())

    bar = page.locator(".your-place")
    join = bar.get_by_role("button", name="Join run")
    who = page.locator("section.who")
    # The page is taller than the screen, and the runners are below its fold...
    assert box(who)["y"] > viewport_height(page)
    # ...yet the bar, placed after them, is on screen at its bottom edge without scrolling.
    assert in_view(page, join)
    bar_box = box(bar)
    assert abs(bar_box["y"] + bar_box["height"] - viewport_height(page)) <= 1

    # Halfway down it is still there.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    assert in_view(page, join)

    # At the end of the page it rests below the last content instead of over it.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last = who.locator("p").last
    last_box, bar_box = box(last), box(bar)
    assert in_view(page, last)
    assert last_box["y"] + last_box["height"] <= bar_box["y"]
    assert in_view(page, join)

    # It is the real form: it joins the run, and then offers the way out.
    join.click()
    expect(page.locator(".messages")).to_contain_text("You're going")
    expect(bar.locator(".my-status")).to_have_text("You're going")
    expect(bar.get_by_role("button", name="Leave run")).to_be_visible()
    assert run.participations.filter(runner__email="ana@example.com").exists()


def test_a_visitor_on_a_phone_gets_the_bar_as_a_way_to_log_in(browser_as, db):
    run = a_long_run(make_user("organiser@example.com", "Bojan"))
    page = browser_as()
    page.goto(run.get_absolute_url())
    join = page.locator(".your-place").get_by_role("link", name="Join run")
    assert in_view(page, join)
    join.click()
    expect(page).to_have_url(f"/accounts/login/?next=/runs/{run.pk}/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_an_organiser_gets_no_bar_to_join_their_own_run(browser_as, db):
    organiser = make_user("organiser@example.com", "Bojan")
    run = a_long_run(organiser)
    page = browser_as(organiser)
    page.goto(run.get_absolute_url())
    expect(page.locator(".your-place .my-status")).to_have_text("You organise this run")
    expect(page.locator(".run-bar")).to_have_count(0)
    expect(page.get_by_role("button", name="Join run")).to_have_count(0)


def columns_side_by_side(page, details, description):
    """The details box's left edge left of the description's, the two sharing a band of
    the page's height."""
    left, right = box(page.locator(details)), box(page.locator(description))
    assert left["x"] + left["width"] <= right["x"]
    assert left["y"] < right["y"] + right["height"] and right["y"] < left["y"] + left["height"]


def test_a_laptop_shows_the_run_page_in_two_columns(browser_as, db):
    run = a_long_run(make_user("organiser@example.com", "Bojan"))
    page = browser_as(make_user("ana@example.com", "Ana"), viewport=LAPTOP)
    page.goto(run.get_absolute_url())
    columns_side_by_side(page, ".run-facts-box", ".run-description")
    # The join button sits under the details, in their column.
    join, details = box(page.get_by_role("button", name="Join run")), box(
        page.locator(".run-facts-box"))
    assert join["x"] + join["width"] <= box(page.locator(".run-description"))["x"]
    assert join["y"] >= details["y"] + details["height"]


def test_a_phone_shows_the_run_page_in_one_column(browser_as, db):
    run = a_long_run(make_user("organiser@example.com", "Bojan"))
    page = browser_as(make_user("ana@example.com", "Ana"))
    page.goto(run.get_absolute_url())
    details, description = box(page.locator(".run-facts-box")), box(
        page.locator(".run-description"))
    assert details["y"] + details["height"] <= description["y"]
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_a_laptop_shows_the_club_page_in_two_columns(browser_as, db):
    organiser = make_user("organiser@example.com", "Bojan")
    club = make_club(organiser, description=LONG_DESCRIPTION)
    page = browser_as(make_user("ana@example.com", "Ana"), viewport=LAPTOP)
    page.goto(club.get_absolute_url())
    columns_side_by_side(page, ".club-facts-box", ".club-description")
    expect(page.locator(".club-facts-box").get_by_role("button", name="Follow")).to_be_visible()


def test_the_run_form_is_grouped_and_folds_the_coordinates_away(browser_as, db):
    page = browser_as(make_user("organiser@example.com", "Bojan"), viewport=LAPTOP)
    page.goto("/runs/new/")
    for heading in ("When", "Where", "How far and how fast", "How many"):
        expect(page.get_by_role("group", name=heading)).to_be_visible()
    where = page.get_by_role("group", name="Where")
    expect(where.get_by_label("Meeting point")).to_be_visible()
    expect(page.get_by_role("group", name="How many").get_by_label("Capacity")).to_be_visible()

    latitude, longitude = page.get_by_label("Latitude"), page.get_by_label("Longitude")
    expect(latitude).to_be_hidden()
    expect(longitude).to_be_hidden()
    where.get_by_text("More", exact=True).click()
    expect(latitude).to_be_visible()
    expect(longitude).to_be_visible()


def test_coordinates_with_a_value_or_an_error_are_not_folded_away(browser_as, db):
    organiser = make_user("organiser@example.com", "Bojan")
    run = make_run(organiser, latitude=Decimal("46.05"), longitude=Decimal("14.5"))
    page = browser_as(organiser)
    page.goto(f"/runs/{run.pk}/edit/")
    expect(page.get_by_label("Latitude")).to_be_visible()
    expect(page.get_by_label("Longitude")).to_have_value(re.compile(r"^14\.50*$"))

    page.goto("/runs/new/")
    page.get_by_role("group", name="Where").get_by_text("More", exact=True).click()
    page.get_by_label("Latitude").fill("123")
    page.get_by_role("button", name="Create run").click()
    expect(page.get_by_label("Latitude")).to_be_visible()
    expect(page.locator(".field-latitude .error")).to_be_visible()
    assert Run.objects.count() == 1  # only the one made above


def test_distance_and_paces_share_a_row_on_a_laptop_and_stack_on_a_phone(browser_as, db):
    organiser = make_user("organiser@example.com", "Bojan")
    for viewport in (LAPTOP, PHONE):
        page = browser_as(organiser, viewport=viewport)
        page.goto("/runs/new/")
        inputs = [box(page.get_by_label(label)) for label in
                  ("Distance (km)", "Fastest pace (min/km)", "Slowest pace (min/km)")]
        if viewport is LAPTOP:
            assert len({round(found["y"]) for found in inputs}) == 1
            assert inputs[0]["x"] + inputs[0]["width"] <= inputs[1]["x"]
            assert inputs[1]["x"] + inputs[1]["width"] <= inputs[2]["x"]
        else:
            assert inputs[0]["y"] + inputs[0]["height"] <= inputs[1]["y"]
            assert inputs[1]["y"] + inputs[1]["height"] <= inputs[2]["y"]
