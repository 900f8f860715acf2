""""Sort by distance from me" on /runs/: the browser sorts the runs by the distance to their
meeting points, and the location it was given never leaves the page."""

import json
import math
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.runs.conftest import make_run

pytestmark = pytest.mark.browser

# Where the runner stands: Prešeren Square, Ljubljana.
HERE = {"latitude": 46.05108, "longitude": 14.50513}
# Titles in the order the list gives them (by date), with their meeting points.
RUNS = [
    ("Maribor riverside", (46.55472, 15.64667)),
    ("Somewhere unmapped", None),
    ("Tivoli park loop", (46.05694, 14.49722)),
    ("Kranj old town", (46.23887, 14.35561)),
    ("Also unmapped", None),
]
NEAREST_FIRST = ["Tivoli park loop", "Kranj old town", "Maribor riverside",
                 "Somewhere unmapped", "Also unmapped"]
BUTTON = "Sort by distance from me"
SORTED = "The runs on this page are sorted by distance from you, nearest first."


def km_between(a, b):
    """Great-circle distance, worked out here independently of the page's script."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371 * math.asin(math.sqrt(h))


@pytest.fixture
def runs_around_ljubljana(organiser):
    for days, (title, place) in enumerate(RUNS, start=1):
        coordinates = {}
        if place:
            coordinates = {"latitude": Decimal(str(place[0])), "longitude": Decimal(str(place[1]))}
        make_run(organiser, days=days, title=title, **coordinates)


@pytest.fixture
def open_runs(browser, live_server):
    contexts = []

    def open_with(**options):
        context = browser.new_context(viewport=PHONE, base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/runs/", wait_until="networkidle")
        return page

    yield open_with
    for context in contexts:
        context.close()


def titles(page):
    return page.locator(".run-list .run-card .run-title").all_inner_texts()


def card(page, title):
    return page.locator(".run-card", has=page.get_by_role("link", name=title))


def test_the_runs_are_sorted_nearest_first_and_unmapped_runs_go_last(
        open_runs, runs_around_ljubljana):
    page = open_runs(geolocation=HERE, permissions=["geolocation"])
    assert titles(page) == [title for title, _ in RUNS]

    page.get_by_role("button", name=BUTTON).click()

    expect(page.get_by_role("status")).to_have_text(SORTED)
    assert titles(page) == NEAREST_FIRST
    tivoli = km_between((HERE["latitude"], HERE["longitude"]), RUNS[2][1])
    assert tivoli < 10
    expect(card(page, "Tivoli park loop")).to_contain_text(f"{tivoli:.1f} km away")
    maribor = km_between((HERE["latitude"], HERE["longitude"]), RUNS[0][1])
    expect(card(page, "Maribor riverside")).to_contain_text(f"{maribor:.0f} km away")
    expect(card(page, "Somewhere unmapped")).not_to_contain_text("away")


def test_the_location_never_leaves_the_page(open_runs, runs_around_ljubljana):
    page = open_runs(geolocation=HERE, permissions=["geolocation"])
    address, history = page.url, page.evaluate("history.length")
    requests = []
    page.on("request", lambda request: requests.append(request))

    page.get_by_role("button", name=BUTTON).click()
    expect(page.get_by_role("status")).to_have_text(SORTED)
    # Back to date order, and a third press asks again and sorts again: still nothing is
    # sent.
    page.get_by_role("button", name="Sort by date").click()
    page.get_by_role("button", name=BUTTON).click()
    expect(page.get_by_role("button", name="Sort by date")).to_be_visible()
    expect(card(page, "Tivoli park loop")).to_contain_text("km away")
    page.wait_for_load_state("networkidle")

    sent = [(r.url, r.post_data or "", json.dumps(r.headers)) for r in requests]
    for coordinate in (HERE["latitude"], HERE["longitude"]):
        # The position in any precision a script might send it with (46.05, 46.0511, ...).
        for digits in (2, 3, 4, 5):
            text = f"{coordinate:.{digits}f}"
            assert not [request for request in sent if text in "".join(request)], text
    assert sent == []  # no request at all, so nothing could carry it
    assert page.url == address
    assert page.evaluate("history.length") == history  # nor into the history
    stored = page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]


def test_sort_by_date_puts_the_runs_back_in_the_pages_order(open_runs, runs_around_ljubljana):
    page = open_runs(geolocation=HERE, permissions=["geolocation"])
    page.get_by_role("button", name=BUTTON).click()
    expect(page.get_by_role("status")).to_have_text(SORTED)
    assert titles(page) == NEAREST_FIRST

    page.get_by_role("button", name="Sort by date").click()

    expect(page.get_by_role("status")).to_have_text("The runs are in date order again.")
    assert titles(page) == [title for title, _ in RUNS]
    expect(page.locator(".near-me-distance")).to_have_count(0)
    expect(page.get_by_role("button", name=BUTTON)).to_be_focused()


def test_the_distance_never_starts_a_line_with_the_dot(open_runs, organiser):
    # A meeting point long enough that, on a phone, the distance cannot share its line.
    make_run(organiser, title="Tivoli park loop", meeting_point="Tivoli park, main entrance "
             "by the big fountain opposite the museum", latitude=Decimal("46.05694"),
             longitude=Decimal("14.49722"))
    page = open_runs(geolocation=HERE, permissions=["geolocation"])
    page.get_by_role("button", name=BUTTON).click()
    distance = card(page, "Tivoli park loop").locator(".near-me-distance")
    expect(distance).to_contain_text("km away")
    # What the reader sees of it (its text and what CSS puts before it) starts with the
    # number, and it starts its own line, level with the card's other facts.
    shown = distance.evaluate("""label => getComputedStyle(label, "::before").content""")
    assert "·" not in shown
    facts = card(page, "Tivoli park loop").locator(".run-facts")
    assert distance.bounding_box()["x"] == facts.bounding_box()["x"]


def test_a_browser_that_does_not_share_its_location_is_told_so(
        open_runs, runs_around_ljubljana):
    page = open_runs(geolocation=HERE)  # the permission is never granted

    page.get_by_role("button", name=BUTTON).click()

    expect(page.get_by_role("status")).to_have_text(
        "Your browser did not share a location, so the runs keep their order.")
    assert titles(page) == [title for title, _ in RUNS]
    expect(page.locator(".near-me-distance")).to_have_count(0)


def test_distances_are_written_the_readers_way(open_runs, runs_around_ljubljana):
    page = open_runs(geolocation=HERE, permissions=["geolocation"], locale="sl-SI")
    assert page.locator("html").get_attribute("lang") == "sl"

    page.locator("[data-near-me]").click()

    tivoli = km_between((HERE["latitude"], HERE["longitude"]), RUNS[2][1])
    expect(card(page, "Tivoli park loop").locator(".near-me-distance")).to_contain_text(
        f"{tivoli:.1f}".replace(".", ","))


def test_without_javascript_the_button_stays_hidden(open_runs, runs_around_ljubljana):
    page = open_runs(java_script_enabled=False)
    expect(page.get_by_role("heading", name="Tivoli park loop")).to_be_visible()
    expect(page.locator("[data-near-me]")).to_be_hidden()


def test_a_page_without_mapped_runs_offers_no_button(open_runs, organiser):
    make_run(organiser, title="Somewhere unmapped")
    page = open_runs(geolocation=HERE, permissions=["geolocation"])
    expect(page.get_by_role("link", name="Somewhere unmapped")).to_be_visible()
    expect(page.locator("[data-near-me]")).to_be_hidden()
