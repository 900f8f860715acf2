"""What the run form does with a route besides attaching it (issue 13's review): an empty
distance takes the route's length, the start gives the coordinates when none were typed, a
good file waits while the rest of the form is corrected, the length is offered in the
message after saving (for a series on the later dates too), and "Organise again" keeps the
earlier run's route."""

import pickle
import re
from decimal import Decimal
from html import unescape

from django.core import mail
from django.core.cache import cache

from runs.models import Route, Run
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.runs.conftest import make_run
from tests.runs.test_organise import edit_form, run_form
from tests.runs.test_routes import WATCH_EXTRAS, attach, gpx_file, upload
from tests.runs.test_series import make_series

WATCH_START = (Decimal("46.05500"), Decimal("14.49500"))
KEPT = "Route: 3.1 km kept — choose another file to replace it."


def text_of(response):
    return unescape(response.content.decode())


def create(client, file=None, **fields):
    data = run_form(**fields)
    if file is not None:
        data["route"] = file
    return client.post("/runs/new/", data)


def kept_token(response):
    match = re.search(r'<input type="hidden" name="route_kept"(?: value="([^"]*)")?',
                      response.content.decode())
    assert match, "the form has no hidden route_kept field"
    return match[1] or ""


def messages_of(response):
    """The page's messages box, as HTML."""
    page = response.content.decode()
    start = page.index('<div class="messages"')
    return unescape(page[start:page.index("</div>", start)])


def short_route():
    """A GPX of two points about 220 m apart: shorter than a run may be."""
    return upload(b'<?xml version="1.0"?><gpx version="1.1" '
                  b'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
                  b'<trkpt lat="46.0500" lon="14.5000"/><trkpt lat="46.0520" lon="14.5000"/>'
                  b"</trkseg></trk></gpx>")


# An empty distance


def test_an_empty_distance_takes_the_routes_length(organiser_client):
    response = create(organiser_client, gpx_file("watch.gpx"), distance_km="")
    assert response.status_code == 302
    run = Run.objects.get()
    assert run.distance_km == Decimal("3.1")
    page = text_of(organiser_client.get(response["Location"]))
    assert "Its distance is the route's length, 3.1 km." in page
    assert "Use 3.1 km" not in page  # nothing left to offer


def test_an_empty_distance_without_a_route_is_refused_in_words(organiser_client):
    response = create(organiser_client, distance_km="")
    assert response.status_code == 400
    assert ("Give the distance in km, or choose a route (GPX) and leave this empty to use its "
            "length.") in text_of(response)
    assert not Run.objects.exists()


def test_a_route_shorter_than_a_run_may_be_leaves_the_distance_to_be_typed(organiser_client):
    response = create(organiser_client, short_route(), distance_km="")
    assert response.status_code == 400
    assert ("The route measures 0.2 km, and a run is 0.5 to 250 km: type the run's distance."
            in text_of(response))
    assert not Run.objects.exists()


def test_emptying_the_distance_on_edit_takes_the_saved_routes_length(organiser_client,
                                                                      organiser):
    run = make_run(organiser, distance_km=Decimal("8"))
    attach(run, "hill.gpx")
    response = organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, distance_km=""))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.distance_km == Decimal("1.8")


def test_the_distance_field_says_a_route_can_give_it(organiser_client):
    page = text_of(organiser_client.get("/runs/new/"))
    assert "With a route, leave it empty to use the route's length." in page


# The coordinates from the route's start


def test_a_new_route_gives_its_start_when_no_coordinates_were_typed(organiser_client):
    response = create(organiser_client, gpx_file("watch.gpx"))
    run = Run.objects.get()
    assert (run.latitude, run.longitude) == WATCH_START
    page = text_of(organiser_client.get(response["Location"]))
    assert "Open in OpenStreetMap" in page


def test_typed_coordinates_stay_unless_the_box_is_ticked(organiser_client):
    create(organiser_client, gpx_file("watch.gpx"), latitude="46.1", longitude="14.6")
    create(organiser_client, gpx_file("watch.gpx"), latitude="46.1", longitude="14.6",
           route_start="on")
    typed, replaced = Run.objects.order_by("pk")
    assert (typed.latitude, typed.longitude) == (Decimal("46.1"), Decimal("14.6"))
    assert (replaced.latitude, replaced.longitude) == WATCH_START


def test_a_new_route_on_edit_gives_a_run_without_coordinates_its_start_quietly(
        organiser_client, organiser, runner):
    run = make_run(organiser)
    run.join(runner)
    mail.outbox.clear()
    response = organiser_client.post(f"/runs/{run.pk}/edit/",
                                     {**edit_form(run), "route": gpx_file("watch.gpx")})
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.latitude, run.longitude) == WATCH_START
    assert mail.outbox == []  # the same meeting point, now on the map


def test_the_box_says_runners_are_emailed_only_on_a_run_that_has_runners(organiser_client,
                                                                        organiser, runner):
    run = make_run(organiser)
    emailed = "Everyone going or waiting is emailed if the meeting spot moves."
    assert emailed not in text_of(organiser_client.get(f"/runs/{run.pk}/edit/"))
    assert emailed not in text_of(organiser_client.get("/runs/new/"))
    run.join(runner)
    assert emailed in text_of(organiser_client.get(f"/runs/{run.pk}/edit/"))


# A good file while the rest of the form is corrected


def test_a_good_file_is_kept_while_the_form_is_corrected(organiser_client):
    response = create(organiser_client, gpx_file("watch.gpx"), title="")
    assert response.status_code == 400
    assert KEPT in text_of(response)
    assert "choose the file again" not in text_of(response)
    token = kept_token(response)
    assert len(token) >= 20
    response = create(organiser_client, title="Tivoli loop", route_kept=token)
    assert response.status_code == 302
    run = Run.objects.get()
    assert run.title == "Tivoli loop"
    assert Route.objects.get(run=run).distance_m == 3146
    assert (run.latitude, run.longitude) == WATCH_START


def test_a_kept_route_survives_a_second_round_of_mistakes(organiser_client):
    token = kept_token(create(organiser_client, gpx_file("watch.gpx"), title=""))
    again = create(organiser_client, title="", route_kept=token)
    assert again.status_code == 400
    assert KEPT in text_of(again) and kept_token(again) == token
    assert create(organiser_client, route_kept=token).status_code == 302
    assert Route.objects.get().distance_m == 3146


def test_the_cache_holds_only_the_cleaned_points_for_an_hour(organiser_client, organiser,
                                                             monkeypatch):
    stored = {}
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda key, value, timeout=None, **kw: (
        stored.update({key: (value, timeout)}), real_set(key, value, timeout, **kw)))
    token = kept_token(create(organiser_client, gpx_file("watch.gpx"), title=""))
    (key, (value, timeout)), = stored.items()
    assert key.endswith(f":{organiser.pk}:{token}")  # bound to the organiser
    assert timeout == 60 * 60
    assert isinstance(value, list) and all(len(point) == 3 for point in value[0])
    raw = pickle.dumps(value)
    for extra in WATCH_EXTRAS:
        assert extra.encode() not in raw, extra


def test_someone_elses_token_gives_them_nothing(organiser_client, client):
    token = kept_token(create(organiser_client, gpx_file("watch.gpx"), title=""))
    client.force_login(make_user("other@example.com", "Other"))
    response = create(client, route_kept=token)
    assert response.status_code == 400
    assert "The route you chose earlier is no longer kept" in text_of(response)
    assert not Run.objects.exists()


def test_an_expired_or_tampered_token_asks_for_the_file_again(organiser_client):
    token = kept_token(create(organiser_client, gpx_file("watch.gpx"), title=""))
    cache.clear()  # an hour later
    for sent in (token, "../../etc/passwd", "x" * 500, "a b\nc"):
        response = create(organiser_client, route_kept=sent)
        assert response.status_code == 400
        assert ("The route you chose earlier is no longer kept (we keep it for an hour). "
                "Choose the file again.") in text_of(response)
        assert kept_token(response) == ""
    assert not Run.objects.exists()


def test_the_kept_route_goes_from_the_cache_once_the_run_is_saved(
        organiser_client, django_capture_on_commit_callbacks):
    token = kept_token(create(organiser_client, gpx_file("watch.gpx"), title=""))
    with django_capture_on_commit_callbacks(execute=True):
        assert create(organiser_client, route_kept=token).status_code == 302
    again = create(organiser_client, route_kept=token, title="Twice")
    assert again.status_code == 400  # the token names nothing any more


def test_a_new_file_replaces_a_kept_one(organiser_client):
    token = kept_token(create(organiser_client, gpx_file("watch.gpx"), title=""))
    response = create(organiser_client, gpx_file("hill.gpx"), route_kept=token)
    assert response.status_code == 302
    assert Route.objects.get().ascent_m == 110


def test_removing_the_route_drops_a_kept_one(organiser_client):
    token = kept_token(create(organiser_client, gpx_file("watch.gpx"), title=""))
    response = create(organiser_client, title="", route_kept=token)
    assert "Remove the route" in text_of(response)
    assert create(organiser_client, route_kept=token, remove_route="on").status_code == 302
    assert Run.objects.exists() and not Route.objects.exists()


def test_a_series_date_keeps_the_file_until_the_dates_are_chosen(organiser_client, organiser):
    # The scope is asked on every save of a series date: forgetting it lost the file.
    runs = make_series(organiser, dates=3)
    data = {**edit_form(runs[0]), "route": gpx_file("hill.gpx")}
    data.pop("scope", None)
    response = organiser_client.post(f"/runs/{runs[0].pk}/edit/", data)
    assert response.status_code == 400
    assert "Route: 1.8 km kept" in text_of(response)
    token = kept_token(response)
    response = organiser_client.post(f"/runs/{runs[0].pk}/edit/",
                                     {**edit_form(runs[0], scope="later"), "route_kept": token})
    assert response.status_code == 302
    assert [Route.objects.get(run=run).ascent_m for run in runs] == [110, 110, 110]


# The distance offered after saving


def test_the_saved_message_offers_the_routes_distance(organiser_client):
    response = create(organiser_client, gpx_file("watch.gpx"), distance_km="10")
    run = Run.objects.get()
    box = messages_of(organiser_client.get(response["Location"]))
    assert "Your run is created." in box
    assert "The route measures 3.1 km; the run says 10 km." in box
    assert f'action="/runs/{run.pk}/route/use-distance/"' in box
    assert "Use 3.1 km</button>" in box
    assert "csrfmiddlewaretoken" in box


def test_the_saved_message_after_an_edit_offers_it_too(organiser_client, organiser):
    run = make_run(organiser, distance_km=Decimal("8"))
    response = organiser_client.post(f"/runs/{run.pk}/edit/", {
        **edit_form(run, title="New title"), "route": gpx_file("watch.gpx")}, follow=True)
    box = messages_of(response)
    assert "Your changes are saved." in box
    assert "The route measures 3.1 km; the run says 8 km." in box


def test_a_new_series_is_offered_the_distance_on_every_date(organiser_client):
    response = create(organiser_client, gpx_file("watch.gpx"), distance_km="10",
                      repeat_weeks="2")
    box = messages_of(organiser_client.get(response["Location"]))
    assert "Use 3.1 km on this date</button>" in box
    assert "Use 3.1 km on this and later dates</button>" in box
    first = Run.objects.order_by("starts_at").first()
    response = organiser_client.post(f"/runs/{first.pk}/route/use-distance/",
                                     {"dates": "later"}, follow=True)
    assert "The distance is now 3.1 km on 3 dates, as its route measures." in text_of(response)
    assert set(Run.objects.values_list("distance_km", flat=True)) == {Decimal("3.1")}


def test_later_dates_with_another_route_keep_their_distance(organiser_client, organiser):
    runs = make_series(organiser, dates=4, distance_km=Decimal("8"))
    for run in runs[:3]:
        attach(run)
    attach(runs[3], "hill.gpx")
    organiser_client.post(f"/runs/{runs[1].pk}/route/use-distance/", {"dates": "later"})
    assert [Run.objects.get(pk=run.pk).distance_km for run in runs] == [
        Decimal("8"), Decimal("3.1"), Decimal("3.1"), Decimal("8")]


def test_this_date_only_changes_one_date(organiser_client, organiser):
    runs = make_series(organiser, dates=3, distance_km=Decimal("8"))
    for run in runs:
        attach(run)
    organiser_client.post(f"/runs/{runs[0].pk}/route/use-distance/", {"dates": "this"})
    assert [Run.objects.get(pk=run.pk).distance_km for run in runs] == [
        Decimal("3.1"), Decimal("8"), Decimal("8")]


def test_a_runner_cannot_change_the_later_dates(client, organiser, runner):
    runs = make_series(organiser, dates=2, distance_km=Decimal("8"))
    for run in runs:
        attach(run)
    client.force_login(runner)
    assert client.post(f"/runs/{runs[0].pk}/route/use-distance/",
                       {"dates": "later"}).status_code == 403
    assert set(Run.objects.values_list("distance_km", flat=True)) == {Decimal("8")}


# "Organise again"


def again_form(source, **overrides):
    return run_form(title=source.title, route_from=str(source.pk), **overrides)


def test_organise_again_offers_to_keep_the_route(organiser_client, organiser):
    source = make_run(organiser, days=-7, title="Rožnik hill repeats")
    attach(source, "hill.gpx")
    page = text_of(organiser_client.get(f"/runs/new/?from={source.pk}"))
    box = re.search(r'<input type="checkbox" name="keep_route"[^>]*>', page)
    assert box and "checked" in box[0]
    assert "Keep the route of “Rožnik hill repeats”" in page
    assert "Its route of 1.8 km goes with the new run." in page
    response = organiser_client.post("/runs/new/", again_form(source, keep_route="on"))
    assert response.status_code == 302
    copy = Run.objects.exclude(pk=source.pk).get()
    assert Route.objects.get(run=copy).gpx == Route.objects.get(run=source).gpx
    assert Route.objects.get(run=copy).ascent_m == 110


def test_unticked_the_route_stays_behind_and_the_message_says_so(organiser_client, organiser):
    source = make_run(organiser, days=-7, title="Rožnik hill repeats")
    attach(source, "hill.gpx")
    response = organiser_client.post("/runs/new/", again_form(source), follow=True)
    copy = Run.objects.exclude(pk=source.pk).get()
    assert not Route.objects.filter(run=copy).exists()
    assert "The route of “Rožnik hill repeats” was not copied." in messages_of(response)


def test_a_run_without_a_route_offers_nothing_to_keep(organiser_client, organiser):
    source = make_run(organiser, days=-7)
    page = text_of(organiser_client.get(f"/runs/new/?from={source.pk}"))
    assert "Keep the route" not in page and 'name="route_from"' not in page


def test_the_route_of_someone_elses_run_is_not_copied(organiser_client, organiser):
    other = make_user("other@example.com", "Other")
    theirs = make_run(other, title="Their secret loop")
    attach(theirs)
    assert "Keep the route" not in text_of(organiser_client.get(f"/runs/new/?from={theirs.pk}"))
    for sent in (str(theirs.pk), "abc", "9" * 30, "-1"):
        response = organiser_client.post("/runs/new/", run_form(route_from=sent,
                                                                keep_route="on"))
        assert response.status_code == 400
        page = text_of(response)
        assert "That run's route can no longer be copied" in page
        assert "Their secret loop" not in page
    assert Run.objects.count() == 1


def test_a_club_co_organiser_keeps_the_clubs_route(client, organiser):
    helper = make_user("helper@example.com", "Helper")
    club = make_club(organiser, co_organisers=[helper])
    source = make_run(organiser, club=club, days=-7)
    attach(source)
    client.force_login(helper)
    assert "Keep the route of" in text_of(client.get(f"/runs/new/?from={source.pk}"))
    response = client.post("/runs/new/", again_form(source, keep_route="on"))
    assert response.status_code == 302
    assert Route.objects.count() == 2


def test_a_new_file_replaces_the_kept_route_of_the_earlier_run(organiser_client, organiser):
    source = make_run(organiser, days=-7)
    attach(source)
    organiser_client.post("/runs/new/", {**again_form(source, keep_route="on"),
                                         "route": gpx_file("hill.gpx")})
    copy = Run.objects.exclude(pk=source.pk).get()
    assert Route.objects.get(run=copy).ascent_m == 110
