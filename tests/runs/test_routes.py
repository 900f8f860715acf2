"""A run's route from a GPX file: drawn on the run page without anyone else's help,
attached and replaced on the run form, downloaded by runners, and the organiser's.
Reading the file (what is kept, what is refused): test_route_files.py."""

import json
import re
from decimal import Decimal
from html import unescape
from pathlib import Path

import gpxpy
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from joinrun import personal_data
from runs import routes, series
from runs.models import Route, Run
from runs.templatetags import route_drawing
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.runs.conftest import make_run
from tests.runs.test_organise import edit_form, run_form
from tests.runs.test_series import make_series

GPX = Path(__file__).parent / "gpx"
# What a watch put in watch.gpx besides the points: none of it may be kept.
WATCH_EXTRAS = ["<time", "2026-05-01", "06:00", "hr>", "cad>", "extensions", "Ana", "Novak",
                "example.com", "Morning Run", "secret", "home", "Flat 4", "Garmin", "<wpt",
                "<metadata", "<name", "running"]


def gpx_file(name):
    return SimpleUploadedFile(name, (GPX / name).read_bytes(), "application/gpx+xml")


def upload(content, name="route.gpx"):
    return SimpleUploadedFile(name, content, "application/gpx+xml")


def track_of(name):
    return routes.read(gpx_file(name))


def attach(run, name="watch.gpx"):
    Route.attach(track_of(name), [run])
    return Route.objects.get(run=run)


def points_of(gpx_text):
    parsed = gpxpy.parse(gpx_text)
    return [point for track in parsed.tracks for segment in track.segments
            for point in segment.points]


def page_of(client, run):
    response = client.get(f"/runs/{run.pk}/")
    assert response.status_code == 200
    return unescape(response.content.decode())


def create_run(client, file=None, **fields):
    data = run_form(**fields)
    if file is not None:
        data["route"] = file
    return client.post("/runs/new/", data)


# The drawing


def test_the_map_is_drawn_north_up_with_start_finish_and_a_round_scale_bar():
    track = track_of("hill.gpx")  # due north, 1.8 km
    svg = route_drawing.map_svg(track.drawing, track.distance_m)
    start = re.search(r'<circle class="route-start" cx="([\d.]+)" cy="([\d.]+)"', svg)
    finish = re.search(r'<rect class="route-finish" x="([\d.]+)" y="([\d.]+)"', svg)
    assert start and finish
    assert float(finish[2]) + 8 < float(start[2])  # north (the finish) is up
    scale = re.search(r'<polyline class="route-scale".*?<text class="route-label"[^>]*>([^<]+)<',
                      svg)
    assert scale[1] in {"100 m", "200 m", "500 m", "1 km", "2 km"}
    assert 'role="img"' in svg
    assert "<title" in svg and "1.8 km from the start (a dot) to the finish (a square)" in svg


def test_a_loop_says_it_starts_and_finishes_at_the_same_place():
    track = track_of("watch.gpx")
    svg = route_drawing.map_svg(track.drawing, track.distance_m)
    assert "a loop of 3.1 km that starts and finishes at the same place" in svg


def test_the_drawings_ask_nobody_else_for_anything():
    track = track_of("watch.gpx")
    drawing = track.drawing
    for svg in (route_drawing.map_svg(drawing, track.distance_m),
                route_drawing.profile_svg(drawing, track.distance_m, track.ascent_m)):
        assert re.findall(r"https?://[^\s\"'<>]+", svg) == ["http://www.w3.org/2000/svg"]
        assert "style" not in svg and "<script" not in svg and "href" not in svg
        assert " on" not in svg.replace(" one", "")  # no event handlers


def test_the_elevation_profile_writes_its_lowest_and_highest_heights():
    track = track_of("watch.gpx")  # 295.4 m to 316.6 m
    svg = route_drawing.profile_svg(track.drawing, track.distance_m, track.ascent_m)
    labels = re.findall(r'<text class="route-label"[^>]*>([^<]+)</text>', svg)
    assert labels == ["317 m", "295 m", "0.0 km", "3.1 km"]
    assert "between 295 m and 317 m, 21 m of climbing over 3.1 km" in svg


# On the run page


def test_the_run_page_draws_the_route_for_everyone(client, organiser):
    run = make_run(organiser)
    attach(run)
    text = page_of(client, run)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="route-map"' in text
    assert 'class="route-profile"' in text
    assert "Total ascent" in text and "21 m" in text
    assert "3.1 km" in text
    assert f'href="/runs/{run.pk}/route.gpx"' in text
    assert "Download the route (GPX)" in text
    assert "Use 3.1 km" not in text  # only for the organiser


def test_a_run_without_a_route_shows_none(client, organiser):
    text = page_of(client, make_run(organiser))
    assert "route-map" not in text and "Download the route" not in text


def test_the_route_costs_the_run_page_no_extra_query(organiser):
    plain, routed = make_run(organiser), make_run(organiser, title="With a route")
    attach(routed)
    organisers = Client()
    organisers.force_login(organiser)
    for client in (Client(), organisers):  # the visitor's page, and the one with the offer
        counts = []
        for run in (plain, routed):
            with CaptureQueriesContext(connection) as queries:
                page_of(client, run)
            counts.append(len(queries))
        assert counts[0] == counts[1]
    assert "Use 3.1 km" in page_of(organisers, routed)


def test_a_new_route_shows_at_once_on_the_cached_public_page(client, organiser):
    run = make_run(organiser)
    assert "route-map" not in page_of(client, run)
    attach(run)
    assert "route-map" in page_of(client, run)
    Route.objects.get(run=run).delete()
    assert "route-map" not in page_of(client, run)


# Creating and editing a run with a route


def test_an_organiser_creates_a_run_with_a_route(organiser_client):
    response = create_run(organiser_client, gpx_file("watch.gpx"))
    run = Run.objects.get()
    assert response.status_code == 302
    route = Route.objects.get(run=run)
    assert route.distance_m == 3146 and route.ascent_m == 21
    for extra in WATCH_EXTRAS:
        assert extra not in route.gpx, extra


def test_the_coordinates_can_come_from_the_routes_start(organiser_client):
    create_run(organiser_client, gpx_file("watch.gpx"), route_start="on", latitude="1",
               longitude="2")
    run = Run.objects.get()
    assert (run.latitude, run.longitude) == (Decimal("46.05500"), Decimal("14.49500"))


def test_the_start_without_a_route_is_refused_in_words(organiser_client):
    response = create_run(organiser_client, route_start="on")
    assert response.status_code == 400
    assert "Choose a GPX file: the coordinates come from the start of its route." in (
        unescape(response.content.decode()))


def test_every_date_of_a_new_series_gets_the_route(organiser_client):
    create_run(organiser_client, gpx_file("hill.gpx"), repeat_weeks="2")
    runs = list(Run.objects.order_by("starts_at"))
    assert len(runs) == 3
    assert [Route.objects.get(run=run).ascent_m for run in runs] == [110, 110, 110]


def test_an_organiser_replaces_and_removes_the_route(organiser_client, organiser):
    run = make_run(organiser)
    attach(run, "route.gpx")
    response = organiser_client.post(f"/runs/{run.pk}/edit/",
                                     {**edit_form(run), "route": gpx_file("hill.gpx")})
    assert response.status_code == 302
    assert Route.objects.get(run=run).ascent_m == 110
    text = unescape(organiser_client.get(f"/runs/{run.pk}/edit/").content.decode())
    assert "Remove the route" in text
    assert "The run has a route of 1.8 km. A new .gpx file (at most 5 MB) replaces it." in text
    organiser_client.post(f"/runs/{run.pk}/edit/", {**edit_form(run), "remove_route": "on"})
    assert not Route.objects.filter(run=run).exists()
    assert "Remove the route" not in unescape(
        organiser_client.get(f"/runs/{run.pk}/edit/").content.decode())


def test_a_bad_file_on_edit_keeps_the_route_and_the_run(organiser_client, organiser):
    run = make_run(organiser)
    attach(run, "route.gpx")
    response = organiser_client.post(f"/runs/{run.pk}/edit/", {
        **edit_form(run, title="A new title"), "route": gpx_file("broken.gpx")})
    assert response.status_code == 400
    assert 'value="A new title"' in unescape(response.content.decode())
    run.refresh_from_db()
    assert run.title == "Tuesday river loop"
    assert Route.objects.get(run=run).ascent_m is None  # still route.gpx


def test_editing_takes_the_start_from_the_saved_route(organiser_client, organiser):
    run = make_run(organiser)
    attach(run)
    organiser_client.post(f"/runs/{run.pk}/edit/", {**edit_form(run), "route_start": "on"})
    run.refresh_from_db()
    assert (run.latitude, run.longitude) == (Decimal("46.05500"), Decimal("14.49500"))


def test_a_new_route_and_removing_it_at_once_is_refused(organiser_client, organiser):
    run = make_run(organiser)
    attach(run, "route.gpx")
    response = organiser_client.post(f"/runs/{run.pk}/edit/", {
        **edit_form(run), "route": gpx_file("hill.gpx"), "remove_route": "on"})
    assert response.status_code == 400
    assert Route.objects.get(run=run).ascent_m is None


def test_a_series_route_goes_to_this_and_later_dates_or_this_date_only(organiser_client,
                                                                       organiser):
    runs = make_series(organiser, dates=4)
    for run in runs:
        attach(run, "route.gpx")
    organiser_client.post(f"/runs/{runs[1].pk}/edit/", {
        **edit_form(runs[1], scope="later"), "route": gpx_file("hill.gpx")})
    assert [Route.objects.get(run=run).ascent_m for run in runs] == [None, 110, 110, 110]
    organiser_client.post(f"/runs/{runs[2].pk}/edit/", {
        **edit_form(runs[2], scope="this"), "remove_route": "on"})
    assert [Route.objects.filter(run=run).exists() for run in runs] == [True, True, False, True]


def test_later_dates_of_a_series_only_changing_the_route_say_so(organiser_client, organiser):
    runs = make_series(organiser, dates=3)
    response = organiser_client.post(f"/runs/{runs[0].pk}/edit/", {
        **edit_form(runs[0], scope="later"), "route": gpx_file("hill.gpx")}, follow=True)
    assert "The route changed on 3 dates." in unescape(response.content.decode())
    assert "Nothing was different" not in unescape(response.content.decode())


def test_added_weeks_get_the_last_dates_route(organiser):
    runs = make_series(organiser, dates=2)
    attach(runs[-1], "hill.gpx")
    added = series.add_weeks(runs[0].series, 2, by=organiser)
    assert [Route.objects.get(run=run).ascent_m for run in added] == [110, 110]


# The distance the route measures


def test_the_organiser_is_offered_the_routes_distance(organiser_client, organiser):
    run = make_run(organiser, distance_km=Decimal("8"))
    attach(run)
    text = page_of(organiser_client, run)
    assert "The route measures 3.1 km; the run says 8 km." in text
    response = organiser_client.post(f"/runs/{run.pk}/route/use-distance/", follow=True)
    run.refresh_from_db()
    assert run.distance_km == Decimal("3.1")
    assert "The run's distance is now 3.1 km, as its route measures." in unescape(
        response.content.decode())
    assert "Use 3.1 km" not in page_of(organiser_client, run)  # they agree now


def test_only_the_organiser_may_use_the_routes_distance(client, organiser, runner, outsider):
    run = make_run(organiser, distance_km=Decimal("8"))
    attach(run)
    run.join(runner)
    for person in (runner, outsider):
        client.force_login(person)
        assert "Use 3.1 km" not in page_of(client, run)
        assert client.post(f"/runs/{run.pk}/route/use-distance/").status_code == 403
    client.logout()
    response = client.post(f"/runs/{run.pk}/route/use-distance/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    run.refresh_from_db()
    assert run.distance_km == Decimal("8")


def test_a_get_does_not_change_the_distance(organiser_client, organiser):
    run = make_run(organiser, distance_km=Decimal("8"))
    attach(run)
    assert organiser_client.get(f"/runs/{run.pk}/route/use-distance/").status_code == 405
    run.refresh_from_db()
    assert run.distance_km == Decimal("8")


def test_a_post_without_its_csrf_token_changes_nothing(organiser):
    run = make_run(organiser, distance_km=Decimal("8"))
    attach(run)
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    assert client.post(f"/runs/{run.pk}/route/use-distance/").status_code == 403
    run.refresh_from_db()
    assert run.distance_km == Decimal("8")


def test_a_cancelled_run_keeps_its_distance(organiser_client, organiser):
    run = make_run(organiser, distance_km=Decimal("8"))
    attach(run)
    run.cancel()
    assert "Use 3.1 km" not in page_of(organiser_client, run)
    assert organiser_client.post(f"/runs/{run.pk}/route/use-distance/").status_code == 409
    run.refresh_from_db()
    assert run.distance_km == Decimal("8")


def test_a_route_too_long_for_a_run_is_not_offered(organiser):
    run = make_run(organiser, distance_km=Decimal("8"))
    route = attach(run)
    route.distance_m = 300_000
    assert route.offered_distance() is None
    route.distance_m = 8_040
    assert route.offered_distance() is None  # 8.0 km: the same
    route.distance_m = 8_050
    assert route.offered_distance() == Decimal("8.1")


# Downloading


def test_anyone_downloads_the_cleaned_gpx(client, organiser):
    run = make_run(organiser, title="Šmarna gora sunrise")
    attach(run)
    response = client.get(f"/runs/{run.pk}/route.gpx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/gpx+xml")
    assert response["Content-Disposition"] == 'attachment; filename="smarna-gora-sunrise.gpx"'
    body = response.content.decode()
    assert body == Route.objects.get(run=run).gpx
    assert len(points_of(body)) > 300  # 3.1 km, a point every 10 m
    for extra in WATCH_EXTRAS:
        assert extra not in body, extra


def test_a_cancelled_or_past_runs_route_can_still_be_downloaded(client, organiser):
    cancelled, past = make_run(organiser), make_run(organiser, days=-3)
    cancelled.cancel()
    for run in (cancelled, past):
        attach(run)
        assert client.get(f"/runs/{run.pk}/route.gpx").status_code == 200


def test_a_run_without_a_route_has_no_download(client, organiser):
    run = make_run(organiser)
    assert client.get(f"/runs/{run.pk}/route.gpx").status_code == 404
    assert client.get("/runs/999999/route.gpx").status_code == 404


# The organiser's data


def test_the_route_is_removed_with_its_run(organiser):
    run = make_run(organiser)
    attach(run)
    run.delete()
    assert not Route.objects.exists()


def test_the_organisers_export_holds_their_routes(organiser):
    run = make_run(organiser)
    attach(run)
    make_run(organiser, title="No route")
    exported = json.loads(json.dumps(personal_data.export_for(organiser), default=str))
    with_route, without = exported["organised_runs"]
    route = Route.objects.get(run=run)
    assert with_route["route"]["gpx"] == route.gpx
    assert with_route["route"]["drawing"] == route.drawing
    assert with_route["route"]["distance_m"] == 3146
    assert without["route"] is None
    assert "<time" not in with_route["route"]["gpx"]
    registered = {entry["data"] for entry in exported["why_we_keep_it"]}
    assert {"runs.Route.gpx", "runs.Route.drawing", "runs.Route.uploaded_at"} <= registered


def test_deleting_the_organiser_removes_their_routes_also_from_runs_that_stay(organiser):
    # A watch's track often starts at the runner's door: it goes with their account.
    helper = make_user("helper@example.com", "Helper")
    club = make_club(organiser, co_organisers=[helper])
    future = make_run(organiser)
    past = make_run(organiser, days=-3, description="Along the river and back.")
    carried_on = make_run(organiser, club=club, title="Club hill repeats")
    someone_elses = make_run(helper, title="Helper's run")
    for run in (future, past, carried_on, someone_elses):
        attach(run)
    personal_data.erase_for(organiser)
    assert not Run.objects.filter(pk=future.pk).exists()
    past.refresh_from_db()
    carried_on.refresh_from_db()
    assert (past.organiser, past.title, past.description) == (
        None, "Tuesday river loop", "Along the river and back.")
    assert (carried_on.organiser, carried_on.title) == (None, "Club hill repeats")
    assert list(Route.objects.values_list("run", flat=True)) == [someone_elses.pk]
    assert "route-map" not in page_of(Client(), past)


def test_the_privacy_policy_lists_the_route(client, db):
    text = unescape(client.get("/privacy/").content.decode())
    assert "from the GPX file you chose" in text
    assert "Route drawing" in text
    assert "the routes of all the runs you organised go with your account" in text


def test_a_club_co_organiser_sees_the_offer(client, organiser):
    helper = make_user("helper@example.com", "Helper")
    club = make_club(organiser, co_organisers=[helper])
    run = make_run(organiser, club=club, distance_km=Decimal("8"))
    attach(run)
    client.force_login(helper)
    assert "Use 3.1 km" in page_of(client, run)
