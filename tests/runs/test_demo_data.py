from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from runs.management.commands.load_demo_data import DEMO_PASSWORD
from runs.models import Participation, Run


def test_demo_data_loads_once(db):
    call_command("load_demo_data")
    users, runs = User.objects.count(), Run.objects.count()
    call_command("load_demo_data")
    assert (User.objects.count(), Run.objects.count()) == (users, runs)
    assert User.objects.get(email="runner@demo.join.run").check_password(DEMO_PASSWORD)
    assert User.objects.get(email="organiser@demo.join.run").check_password(DEMO_PASSWORD)


def test_demo_data_is_a_living_site(client, db):
    call_command("load_demo_data")
    upcoming = Run.objects.upcoming().with_counts()
    assert 8 <= len(upcoming) <= 12
    series = [run for run in upcoming if run.series]
    assert len(series) >= 3 and len({run.series for run in series}) == 1
    assert any(run.capacity and run.going_count == run.capacity and run.waiting_count
               for run in upcoming)
    assert any(run.is_cancelled for run in upcoming)
    assert Participation.objects.filter(runner__email="runner@demo.join.run").exists()
    page = client.get("/runs/").content.decode()
    assert "Tuesday river loop" in page
    assert "Full, 2 waiting" in page
    assert "Cancelled" in page


def test_demo_data_refuses_production(db, settings):
    settings.HTTPS = True
    with pytest.raises(CommandError):
        call_command("load_demo_data")
    assert not User.objects.exists()


def test_demo_runner_ran_a_recent_run_they_can_link_to_strava(db):
    from strava.services import link_window_open

    def ran():
        return list(Run.objects.past().filter(
            participations__runner__email="runner@demo.join.run"))

    call_command("load_demo_data")
    assert [run.title for run in ran()] == ["Evening river loop"]
    assert link_window_open(ran()[0])
    # Two weeks on, the next load adds a fresh one; until then it adds none.
    call_command("load_demo_data")
    assert len(ran()) == 1
    first = ran()[0]
    Run.objects.filter(pk=first.pk).update(starts_at=first.starts_at - timedelta(days=14))
    call_command("load_demo_data")
    assert len(ran()) == 2 and link_window_open(ran()[0])


def test_demo_accounts_have_confirmed_addresses(db):
    call_command("load_demo_data")
    assert not User.objects.filter(email_confirmed_at=None).exists()


def test_demo_data_has_two_clubs_and_the_demo_runner_follows_one(client, db):
    call_command("load_demo_data")
    call_command("load_demo_data")
    from clubs.models import Club

    clubs = Club.objects.listed()
    assert clubs.count() == 2
    followed = clubs.filter(follows__user__email="runner@demo.join.run")
    assert [club.name for club in followed] == ["Ljubljana River Runners"]
    assert Run.objects.filter(club=followed[0]).upcoming().count() >= 3
    runner = User.objects.get(email="runner@demo.join.run")
    client.force_login(runner)
    home = client.get("/").content.decode()
    assert "From clubs you follow" in home
    assert home.index("From clubs you follow") < home.index("Tuesday river loop")
    page = client.get(followed[0].get_absolute_url()).content.decode()
    assert "Tuesday river loop" in page and "Demo organiser" in page


def test_each_demo_meeting_point_has_its_own_spot_so_near_me_sorts_them(db):
    from runs.routes import metres_between

    call_command("load_demo_data")
    runs = list(Run.objects.upcoming())
    assert all(run.has_coordinates for run in runs)
    spots = {run.meeting_point: (float(run.latitude), float(run.longitude)) for run in runs}
    assert len(spots) == 7 and len(set(spots.values())) == 7
    # All in Ljubljana (within 10 km of Prešeren Square), each at least 200 m from the others.
    square = spots["Prešeren Square, by the statue"]
    assert all(metres_between(square, spot) < 10_000 for spot in spots.values())
    assert min(metres_between(a, b) for a in spots.values() for b in spots.values()
               if a != b) > 200


def test_the_hill_repeats_have_a_route_that_starts_at_their_meeting_point(client, db):
    call_command("load_demo_data")
    run = Run.objects.upcoming().get(title="Rožnik hill repeats")
    assert run.route.distance_km == run.distance_km
    assert (run.latitude, run.longitude) == routes_start(run)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Download the route (GPX)" in page and "<svg" in page
    download = client.get(reverse("runs:route_gpx", args=[run.pk]))
    assert download.status_code == 200 and b"<trkpt" in download.content


def routes_start(run):
    from runs import routes

    latitude, longitude = run.route.drawing["line"][0][0]
    return routes.coordinate(latitude), routes.coordinate(longitude)


def test_a_later_load_adds_the_route_only_where_it_is_missing(db):
    from runs.models import Route

    call_command("load_demo_data")
    (route,) = Route.objects.all()
    call_command("load_demo_data")
    assert list(Route.objects.all()) == [route]
    assert Route.objects.get().uploaded_at == route.uploaded_at
    # Demo data loaded before the route existed: the next load adds it.
    route.delete()
    call_command("load_demo_data")
    assert Route.objects.get().run.title == "Rožnik hill repeats"
