"""A route from a watch's GPX file: the organiser attaches it to a new run, whose meeting
point's coordinates come from its start and distance from its length; a runner sees it
drawn on the run page and downloads it, a point every 10 m and nothing else. A mistake
elsewhere on the form does not lose the file, and "Organise again" keeps the route.
Nobody else is asked for anything."""

from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import gpxpy
import pytest
from playwright.sync_api import expect

from runs.models import Route, Run
from tests.conftest import make_user
from tests.e2e.conftest import PHONE, sign_in_by_cookie
from tests.e2e.test_run_journeys import in_three_days_at_half_past_six

pytestmark = pytest.mark.browser

WATCH_GPX = Path(__file__).parent.parent / "runs" / "gpx" / "watch.gpx"


@pytest.fixture
def phone_of(browser, live_server):
    """A phone-sized browser of ``user``'s own, signed in (logging in has its own tests)."""
    contexts = []

    def open_for(user):
        context = browser.new_context(viewport=PHONE, base_url=live_server.url,
                                      accept_downloads=True)
        context.set_default_timeout(10_000)
        sign_in_by_cookie(context, live_server.url, user)
        contexts.append(context)
        return context.new_page()

    yield open_for
    for context in contexts:
        context.close()


def test_organiser_attaches_a_route_and_a_runner_downloads_it(phone_of, live_server):
    organiser = phone_of(make_user("bojan@example.com", "Bojan"))
    elsewhere = []
    organiser.on("request", lambda request: request.url.startswith(live_server.url)
                 or elsewhere.append(request.url))

    organiser.goto("/runs/new/")
    organiser.get_by_label("Title").fill("Tivoli loop")
    organiser.get_by_label("Starts at").fill(
        in_three_days_at_half_past_six().strftime("%Y-%m-%dT%H:%M"))
    organiser.get_by_label("Meeting point").fill("Tivoli park, main entrance")
    organiser.get_by_label("Distance (km)").fill("10")
    organiser.get_by_label("Route (GPX)").set_input_files(WATCH_GPX)
    organiser.get_by_role("button", name="Create run").click()  # no coordinates typed

    expect(organiser.get_by_role("heading", level=1)).to_have_text("Tivoli loop")
    route_map = organiser.get_by_role("img", name="The route drawn north up: a loop of 3.1 km")
    expect(route_map).to_be_visible()
    expect(organiser.get_by_role("img", name="Elevation profile")).to_be_visible()
    expect(organiser.get_by_text("Total ascent")).to_be_visible()
    box = route_map.bounding_box()
    assert box["width"] > 250 and box["height"] > 150  # drawn, not a speck
    run = Run.objects.get()
    assert (run.latitude, run.longitude) == (Decimal("46.05500"), Decimal("14.49500"))
    expect(organiser.get_by_role("link", name="Open in OpenStreetMap")).to_be_attached()

    # Offered in the message that says the run is created, first thing on the page.
    created = organiser.get_by_role("status").filter(has_text="Your run is created.")
    expect(created.get_by_text("The route measures 3.1 km; the run says 10 km.")).to_be_visible()
    created.get_by_role("button", name="Use 3.1 km").click()
    expect(organiser.get_by_text("The run's distance is now 3.1 km")
           ).to_be_visible()
    run.refresh_from_db()
    assert run.distance_km == Decimal("3.1")
    expect(organiser.get_by_role("button", name="Use 3.1 km")).to_have_count(0)

    runner = phone_of(make_user("ana@example.com", "Ana"))
    runner.on("request", lambda request: request.url.startswith(live_server.url)
              or elsewhere.append(request.url))
    runner.goto(f"/runs/{run.pk}/")
    expect(runner.get_by_role("img", name="The route drawn north up")).to_be_visible()
    with runner.expect_download() as download_info:
        runner.get_by_role("link", name="Download the route (GPX)").click()
    download = download_info.value
    assert download.suggested_filename == "tivoli-loop.gpx"
    body = Path(download.path()).read_text()
    points = [point for track in gpxpy.parse(body).tracks for segment in track.segments
              for point in segment.points]
    # A point every 10 m along the way, not every 15 s as the watch wrote: no pace in it.
    steps = [a.distance_2d(b) for a, b in pairwise(points)]
    assert len(points) > 300 and all(9.7 < step < 10.3 for step in steps[:-1])
    assert "<time" not in body and "hr>" not in body and "Ana Novak" not in body
    assert Route.objects.get(run=run).gpx == body
    assert elsewhere == []


def test_a_mistake_on_the_form_keeps_the_file_and_organise_again_keeps_the_route(phone_of):
    organiser = phone_of(make_user("bojan@example.com", "Bojan"))
    organiser.goto("/runs/new/")
    organiser.get_by_label("Starts at").fill(
        in_three_days_at_half_past_six().strftime("%Y-%m-%dT%H:%M"))
    organiser.get_by_label("Meeting point").fill("Tivoli park, main entrance")
    organiser.get_by_label("Route (GPX)").set_input_files(WATCH_GPX)
    organiser.get_by_role("button", name="Create run").click()  # no title, no distance

    expect(organiser.get_by_text("Please correct the marked fields.")).to_be_visible()
    expect(organiser.get_by_text("Route: 3.1 km kept — choose another file to replace it.")
           ).to_be_visible()
    organiser.get_by_label("Title").fill("Tivoli loop")
    organiser.get_by_role("button", name="Create run").click()  # the file is not chosen again

    expect(organiser.get_by_role("heading", level=1)).to_have_text("Tivoli loop")
    expect(organiser.get_by_role("status").filter(has_text="Your run is created.")
           ).to_contain_text("Its distance is the route's length, 3.1 km.")
    expect(organiser.get_by_role("img", name="The route drawn north up")).to_be_visible()
    expect(organiser.get_by_role("link", name="Open in OpenStreetMap")).to_be_attached()
    run = Run.objects.get()
    assert run.distance_km == Decimal("3.1")

    organiser.get_by_role("link", name="Organise again").click()
    keep = organiser.get_by_label("Keep the route of “Tivoli loop”")
    expect(keep).to_be_checked()
    organiser.get_by_role("button", name="Create run").click()
    expect(organiser.get_by_text("Your run is created.")).to_be_visible()
    expect(organiser.get_by_role("img", name="The route drawn north up")).to_be_visible()
    again = Run.objects.exclude(pk=run.pk).get()
    assert Route.objects.get(run=again).gpx == Route.objects.get(run=run).gpx
