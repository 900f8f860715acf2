"""Linking a runner's own Strava activity to a run they ran, and who sees what of it.

Strava's rule: a runner's Strava data is shown only to that runner. Everyone else sees at
most that they ran it.
"""

import html
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import User
from runs.models import Participation
from strava import client as strava_client
from strava import services as strava
from strava.models import ActivityLink
from tests.conftest import connect_strava, make_user
from tests.runs.conftest import make_run, make_runners

ACTIVITY_NAME = "Sunrise river loop"


def text(response):
    return html.unescape(response.content.decode())


def page_of(client, run):
    response = client.get(f"/runs/{run.pk}/")
    assert response.status_code == 200
    return text(response)


def choose_url(run):
    return f"/strava/runs/{run.pk}/activity/"


def unlink_url(run):
    return f"/strava/runs/{run.pk}/activity/unlink/"


def strava_url(activity_id):
    return f"https://www.strava.com/activities/{activity_id}"


def alert(page):
    """The text of the first alert on the page, or ""."""
    found = re.search(r'<div class="alert" role="alert"><p>(.*?)</p></div>', page, re.S)
    return found[1] if found else ""


def ran(run, person):
    return Participation.objects.create(run=run, runner=person, status="going")


def activity_requests(fake, activity_id):
    return fake.requests_to(f"/api/v3/activities/{activity_id}")


def every_stored_value():
    for model in apps.get_models():
        for row in model.objects.values():
            yield from (str(value) for value in row.values())


@dataclass
class Linked:
    run: object
    participation: object
    athlete_id: int
    activity_id: int


@pytest.fixture
def strava_athlete(runner, fake_strava):
    """The runner has connected Strava; their athlete id at the fake."""
    _connection, athlete_id = connect_strava(runner, fake_strava)
    return athlete_id


@pytest.fixture
def started_run(organiser, runner):
    """A run that started a day ago, with the runner on it."""
    run = make_run(organiser, days=-1)
    ran(run, runner)
    return run


@pytest.fixture
def linked(fake_strava, started_run, runner, strava_athlete):
    """The runner's 8 km activity (44:00, so 5:30 /km) linked to the run they ran."""
    activity_id = fake_strava.add_activity(
        strava_athlete, start=started_run.starts_at + timedelta(minutes=5), name=ACTIVITY_NAME,
        distance=8000.0, moving_time=44 * 60)
    participation = started_run.participations.get(runner=runner)
    ActivityLink.objects.create(participation=participation, activity_id=activity_id)
    return Linked(started_run, participation, strava_athlete, activity_id)


# The button on the run page


@pytest.mark.parametrize("started", [timedelta(minutes=10), timedelta(days=13)])
def test_runner_of_a_started_run_with_strava_is_offered_to_link_their_activity(
    runner_client, organiser, runner, strava_athlete, started
):
    run = make_run(organiser, starts_at=timezone.now() - started)
    ran(run, runner)

    page = page_of(runner_client, run)

    assert f'href="{choose_url(run)}">Link my Strava activity</a>' in page
    assert "Powered by Strava" in page


@pytest.mark.parametrize("when", ["before the start", "15 days after", "cancelled"])
def test_no_link_button_before_the_start_after_14_days_or_on_a_cancelled_run(
    runner_client, organiser, runner, strava_athlete, when
):
    now = timezone.now()
    run = {
        "before the start": lambda: make_run(organiser, days=1),
        "15 days after": lambda: make_run(organiser, days=-15),
        "cancelled": lambda: make_run(organiser, days=-1, cancelled_at=now - timedelta(days=2),
                                      cancel_reason="Storm warning"),
    }[when]()
    ran(run, runner)

    page = page_of(runner_client, run)

    assert "Link my Strava activity" not in page
    assert choose_url(run) not in page
    assert "Connect with Strava" not in page


@pytest.mark.parametrize("viewer", ["organiser", "outsider"])
def test_people_not_running_it_get_no_link_button(client, started_run, fake_strava, viewer,
                                                   request):
    person = request.getfixturevalue(viewer)
    connect_strava(person, fake_strava, firstname=person.display_name)
    client.force_login(person)

    page = page_of(client, started_run)

    assert "Link my Strava activity" not in page
    assert choose_url(started_run) not in page
    assert "Connect with Strava" not in page


def test_runner_without_strava_is_offered_to_connect_it(runner_client, fake_strava,
                                                        started_run):
    page = page_of(runner_client, started_run)

    assert (f'href="/strava/connect/?next=/runs/{started_run.pk}/">Connect with Strava</a>'
            in page)
    assert "Link my Strava activity" not in page


def test_without_strava_configured_the_run_page_has_no_strava_section(
    runner_client, fake_strava, linked, settings
):
    settings.STRAVA_CLIENT_ID = ""
    fake_strava.requests.clear()

    page = page_of(runner_client, linked.run)

    for words in ("Your Strava activity", "Link my Strava activity", "Connect with Strava",
                  "View on Strava", "Powered by Strava", ACTIVITY_NAME):
        assert words not in page
    assert str(linked.activity_id) not in page
    assert runner_client.get(choose_url(linked.run)).status_code == 404
    assert fake_strava.requests == []


# Choosing an activity


def test_chooser_lists_my_activities_around_the_start_runs_first(
    runner_client, fake_strava, started_run, strava_athlete
):
    start = started_run.starts_at
    add = fake_strava.add_activity
    group_run = add(strava_athlete, start=start + timedelta(minutes=20), name="Group run")
    ride = add(strava_athlete, start=start + timedelta(minutes=5), name="Ride to the start",
               sport_type="Ride", distance=4000.0, moving_time=900)
    too_early = add(strava_athlete, start=start - timedelta(hours=4), name="Too early")
    too_late = add(strava_athlete, start=start + timedelta(hours=7), name="Too late")
    someone = fake_strava.add_athlete("Bea")
    theirs = add(someone, start=start + timedelta(minutes=1), name="Someone else's run")

    response = runner_client.get(choose_url(started_run))

    assert response.status_code == 200
    page = text(response)
    assert page.index(f'value="{group_run}"') < page.index(f'value="{ride}"')
    assert page.index("Group run") < page.index("Ride to the start")
    for left_out, name in ((too_early, "Too early"), (too_late, "Too late"),
                           (theirs, "Someone else's run")):
        assert f'value="{left_out}"' not in page
        assert name not in page
    (listed,) = fake_strava.requests_to("/api/v3/athlete/activities")
    assert int(listed.query["after"]) == int((start - timedelta(hours=3)).timestamp())
    assert int(listed.query["before"]) == int((start + timedelta(hours=6)).timestamp())
    assert 10 <= int(listed.query["per_page"]) <= 200  # one page covers the window


def test_picking_an_activity_stores_only_its_id_and_marks_nothing_others_see(
    runner_client, runner, fake_strava, started_run, strava_athlete
):
    activity_id = fake_strava.add_activity(
        strava_athlete, start=started_run.starts_at + timedelta(minutes=2), name=ACTIVITY_NAME)

    response = runner_client.post(choose_url(started_run), {"activity": str(activity_id)})

    assert response.status_code == 302
    assert response["Location"] == f"/runs/{started_run.pk}/"
    participation = started_run.participations.get(runner=runner)
    # "Came" is join run's own fact (the runner's "I was there", the check-in): what
    # others see about a runner never comes from Strava.
    assert participation.attended_at is None
    assert participation.activity_link.activity_id == activity_id
    assert [f.name for f in ActivityLink._meta.concrete_fields] == [
        "id", "participation", "activity_id"]
    assert not any(ACTIVITY_NAME in value for value in every_stored_value())


def test_my_run_page_shows_my_activity_and_links_to_strava(runner_client, linked):
    page = page_of(runner_client, linked.run)

    assert ACTIVITY_NAME in page
    assert "8.00 km" in page
    assert "44:00" in page
    assert "5:30 /km" in page
    assert (f'href="{strava_url(linked.activity_id)}" rel="noopener noreferrer">'
            "View on Strava</a>") in page
    assert "Powered by Strava" in page
    assert "Link my Strava activity" not in page


def test_linking_then_the_run_page_shows_what_i_linked(
    runner_client, runner, fake_strava, started_run, strava_athlete
):
    activity_id = fake_strava.add_activity(
        strava_athlete, start=started_run.starts_at, name=ACTIVITY_NAME, distance=5000.0,
        moving_time=25 * 60)

    response = runner_client.post(choose_url(started_run), {"activity": str(activity_id)},
                                  follow=True)

    page = text(response)
    assert "Your Strava activity is linked. Only you see it." in page
    assert ACTIVITY_NAME in page and "5.00 km" in page and "25:00" in page
    assert "5:00 /km" in page
    assert f'href="{strava_url(activity_id)}"' in page
    assert 'class="attended"' not in page  # the link marks nothing on the list of runners


def test_unlinking_deletes_the_link(runner_client, linked):
    response = runner_client.post(unlink_url(linked.run))

    assert response.status_code == 302
    assert response["Location"] == f"/runs/{linked.run.pk}/"
    assert not ActivityLink.objects.filter(activity_id=linked.activity_id).exists()
    page = page_of(runner_client, linked.run)
    assert ACTIVITY_NAME not in page
    assert strava_url(linked.activity_id) not in page
    assert 'class="attended"' not in page
    assert "Link my Strava activity" in page


# Bad input


@pytest.fixture
def other_run_same_morning(organiser, runner, started_run):
    """Another run the runner was on, an hour after the first."""
    run = make_run(organiser, title="Second loop", starts_at=started_run.starts_at
                   + timedelta(hours=1))
    ran(run, runner)
    return run


@pytest.mark.parametrize(("choice", "message"), [
    ("not a number", "Choose one of your activities."),
    ("another athlete's", "That activity is not one of yours on Strava."),
    ("outside the window", "That activity did not start within 3 hours before to 6 hours "
                           "after this run's start."),
    ("linked to another run", "That activity is already linked to “Second loop”."),
])
def test_linking_refuses_what_cannot_be_linked(
    runner_client, runner, fake_strava, started_run, strava_athlete, other_run_same_morning,
    choice, message
):
    start = started_run.starts_at
    if choice == "not a number":
        posted = "twelve"
    elif choice == "another athlete's":
        someone = fake_strava.add_athlete("Bea")
        posted = fake_strava.add_activity(someone, start=start)
    elif choice == "outside the window":
        posted = fake_strava.add_activity(strava_athlete, start=start - timedelta(hours=4))
    else:
        posted = fake_strava.add_activity(strava_athlete, start=start + timedelta(minutes=30))
        elsewhere = other_run_same_morning.participations.get(runner=runner)
        ActivityLink.objects.create(participation=elsewhere, activity_id=posted)

    response = runner_client.post(choose_url(started_run), {"activity": str(posted)})

    assert response.status_code == 400
    assert message in text(response)
    participation = started_run.participations.get(runner=runner)
    assert participation.attended_at is None
    assert not ActivityLink.objects.filter(participation=participation).exists()
    if choice == "linked to another run":
        assert ActivityLink.objects.get(activity_id=posted).participation.run == (
            other_run_same_morning)


@pytest.mark.parametrize("viewer", ["organiser", "outsider"])
def test_only_the_runs_runners_may_open_the_chooser(client, fake_strava, started_run,
                                                    viewer, request):
    person = request.getfixturevalue(viewer)
    _connection, athlete_id = connect_strava(person, fake_strava)
    activity_id = fake_strava.add_activity(athlete_id, start=started_run.starts_at)
    client.force_login(person)

    assert client.get(choose_url(started_run)).status_code == 403
    assert client.post(choose_url(started_run), {"activity": activity_id}).status_code == 403
    assert client.post(unlink_url(started_run)).status_code == 403
    assert not ActivityLink.objects.exists()
    assert fake_strava.requests == []


def test_signed_out_visitor_is_sent_to_log_in(client, linked):
    for response in (client.get(choose_url(linked.run)),
                     client.post(choose_url(linked.run), {"activity": linked.activity_id}),
                     client.post(unlink_url(linked.run))):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert ActivityLink.objects.filter(activity_id=linked.activity_id).exists()


def test_linking_or_unlinking_without_a_csrf_token_is_refused(runner, fake_strava, linked):
    other = fake_strava.add_activity(linked.athlete_id, start=linked.run.starts_at)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(runner)

    assert browser.post(choose_url(linked.run), {"activity": other}).status_code == 403
    assert browser.post(unlink_url(linked.run)).status_code == 403

    assert ActivityLink.objects.get(participation=linked.participation).activity_id == (
        linked.activity_id)


# Strava's rule: shown only to its owner


@pytest.mark.parametrize("viewer", ["organiser", "another runner"])
def test_others_on_the_run_see_nothing_of_my_activity(client, fake_strava, linked, organiser,
                                                       viewer):
    if viewer == "organiser":
        person = organiser
    else:
        (person,) = make_runners(1)
        ran(linked.run, person)
        connect_strava(person, fake_strava, firstname="Bea")
    client.force_login(person)
    fake_strava.requests.clear()

    page = page_of(client, linked.run)

    assert "<li>Ana</li>" in page  # not even "came": that is join run's own mark
    assert ACTIVITY_NAME not in page
    # Not "44:00" (the moving time): the run's own start can be at minute 44.
    assert "8.00 km" not in page and "Moving time" not in page
    assert str(linked.activity_id) not in page
    assert "strava.com/activities" not in page
    assert activity_requests(fake_strava, linked.activity_id) == []


def test_signed_out_visitor_sees_neither_names_nor_strava_data(client, fake_strava, linked):
    fake_strava.requests.clear()

    page = page_of(client, linked.run)

    assert "Ana" not in page
    assert 'class="attended"' not in page
    assert ACTIVITY_NAME not in page
    assert str(linked.activity_id) not in page
    assert "strava.com/activities" not in page
    assert fake_strava.requests == []


# When Strava misbehaves

UNAVAILABLE = ("Strava is not answering right now. Try again in a few minutes; nothing you "
               "saved here is lost.")
UNREADABLE = "Strava sent an answer we could not read. Try again later."
FAULTS = ["down", "500", "slow", "429", "malformed"]


def break_strava(fake, kind):
    if kind == "down":
        fake.stop()
    else:
        fake.fail(kind, times=None)


def expected_message(kind):
    if kind == "429":
        # Strava's quarter-hour (or daily) window: the time the app waits until, in the
        # site's time zone, as hours and minutes.
        until = timezone.localtime(strava_client.paused_until())
        return f"Strava is busy; try again after {until:%H:%M}."
    return UNREADABLE if kind == "malformed" else UNAVAILABLE


@pytest.mark.parametrize("kind", FAULTS)
def test_run_page_says_what_happened_and_keeps_my_link_when_strava_fails(
    runner_client, fake_strava, linked, kind
):
    break_strava(fake_strava, kind)

    page = page_of(runner_client, linked.run)

    assert alert(page) == expected_message(kind)
    assert ACTIVITY_NAME not in page
    assert f'href="{strava_url(linked.activity_id)}"' in page  # the id is ours to link
    assert ActivityLink.objects.filter(participation=linked.participation,
                                       activity_id=linked.activity_id).exists()


def test_run_page_refreshes_a_refused_token_and_shows_my_activity(
    runner_client, runner, fake_strava, linked
):
    fake_strava.fail("401")

    page = page_of(runner_client, linked.run)

    assert alert(page) == ""
    assert ACTIVITY_NAME in page
    assert len(fake_strava.requests_to("/oauth/token")) == 1
    assert len(activity_requests(fake_strava, linked.activity_id)) == 2
    assert User.objects.get(pk=runner.pk).strava.athlete_id == linked.athlete_id
    assert ActivityLink.objects.filter(activity_id=linked.activity_id).exists()


def test_activity_gone_from_strava_stops_being_shown_and_the_runner_decides_on_the_link(
    runner_client, fake_strava, linked
):
    # Deleted (its webhook event unlinks it) or made "Only You": a page view deletes nothing.
    fake_strava.delete_activity(linked.activity_id)

    page = page_of(runner_client, linked.run)

    assert alert(page) == ("Strava no longer shows us this activity: it was deleted, or made "
                           "visible only to you. Unlink it, or link another.")
    assert ACTIVITY_NAME not in page
    assert "Moving time" not in page
    assert "Unlink this activity" in page
    assert ActivityLink.objects.filter(activity_id=linked.activity_id).exists()

    runner_client.post(unlink_url(linked.run))

    assert not ActivityLink.objects.filter(activity_id=linked.activity_id).exists()
    assert "Link my Strava activity" in page_of(runner_client, linked.run)


@pytest.mark.parametrize("kind", FAULTS)
def test_chooser_says_what_happened_when_strava_fails(runner_client, fake_strava, started_run,
                                                      strava_athlete, kind):
    fake_strava.add_activity(strava_athlete, start=started_run.starts_at, name=ACTIVITY_NAME)
    break_strava(fake_strava, kind)

    response = runner_client.get(choose_url(started_run))

    assert response.status_code == 200
    page = text(response)
    assert alert(page) == expected_message(kind)
    assert ACTIVITY_NAME not in page


def test_chooser_refreshes_a_refused_token_and_lists_my_activities(
    runner_client, fake_strava, started_run, strava_athlete
):
    activity_id = fake_strava.add_activity(strava_athlete, start=started_run.starts_at,
                                           name=ACTIVITY_NAME)
    fake_strava.fail("401")

    page = text(runner_client.get(choose_url(started_run)))

    assert alert(page) == ""
    assert f'value="{activity_id}"' in page and ACTIVITY_NAME in page
    assert len(fake_strava.requests_to("/oauth/token")) == 1


def test_linking_while_strava_is_down_keeps_nothing_and_loses_nothing(
    runner_client, fake_strava, linked
):
    another = fake_strava.add_activity(linked.athlete_id, start=linked.run.starts_at,
                                       name="Cool-down jog")
    attended_at = linked.participation.attended_at
    fake_strava.stop()

    response = runner_client.post(choose_url(linked.run), {"activity": another})

    assert response.status_code == 200
    assert alert(text(response)) == UNAVAILABLE
    link = ActivityLink.objects.get(participation=linked.participation)
    assert link.activity_id == linked.activity_id
    assert not ActivityLink.objects.filter(activity_id=another).exists()
    linked.participation.refresh_from_db()
    assert linked.participation.attended_at == attended_at


# Kept briefly, then asked again


def test_activity_details_are_fetched_once_within_the_cache_period(runner_client, fake_strava,
                                                                  linked):
    assert strava.ACTIVITY_CACHE_SECONDS <= 7 * 24 * 60 * 60  # Strava's longest cache

    assert ACTIVITY_NAME in page_of(runner_client, linked.run)
    assert ACTIVITY_NAME in page_of(runner_client, linked.run)
    assert len(activity_requests(fake_strava, linked.activity_id)) == 1

    cache.clear()  # as when the cache period has passed
    assert ACTIVITY_NAME in page_of(runner_client, linked.run)
    assert len(activity_requests(fake_strava, linked.activity_id)) == 2


# Restricted processing


def test_runner_with_processing_restricted_is_not_sent_to_strava(
    runner_client, runner, fake_strava, linked
):
    other = fake_strava.add_activity(linked.athlete_id, start=linked.run.starts_at)
    runner.processing_restricted_at = timezone.now()
    runner.save()
    fake_strava.requests.clear()

    page = page_of(runner_client, linked.run)
    chooser = runner_client.get(choose_url(linked.run))
    posted = runner_client.post(choose_url(linked.run), {"activity": other})

    assert fake_strava.requests == []
    assert ACTIVITY_NAME not in page
    for shown in (page, text(chooser), text(posted)):
        message = alert(shown)
        assert "restrict" in message.lower(), message
        assert "disconnected" not in message  # nothing was disconnected
    assert runner.strava.athlete_id == linked.athlete_id
    assert ActivityLink.objects.get(participation=linked.participation).activity_id == (
        linked.activity_id)


# My runs


def test_my_past_runs_link_to_strava_only_for_my_linked_run(
    runner_client, runner, organiser, fake_strava, linked
):
    unlinked = make_run(organiser, title="Run without a link", days=-3)
    ran(unlinked, runner)
    # Someone else linked their own activity to the run I ran without linking mine.
    bea = make_user("bea@example.com", "Bea")
    _connection, beas_athlete = connect_strava(bea, fake_strava, firstname="Bea")
    beas_activity = fake_strava.add_activity(beas_athlete, start=unlinked.starts_at)
    ActivityLink.objects.create(participation=ran(unlinked, bea), activity_id=beas_activity)
    fake_strava.requests.clear()

    page = text(runner_client.get("/runs/mine/"))

    assert "Run without a link" in page
    assert page.count("View on Strava") == 1
    assert (f'<a class="view-on-strava" href="{strava_url(linked.activity_id)}" '
            'rel="noopener noreferrer">View on Strava</a>') in page
    assert str(beas_activity) not in page
    assert fake_strava.requests == []


# Cost


@pytest.mark.parametrize("count", [1, 50])
def test_upcoming_run_page_asks_strava_nothing_and_queries_stay_flat(
    runner_client, runner, organiser, fake_strava, strava_athlete,
    django_assert_max_num_queries, count
):
    run = make_run(organiser, days=2, capacity=100)
    ran(run, runner)
    others = User.objects.bulk_create(
        User(email=f"r{i}@example.com", display_name=f"Runner {i}") for i in range(count))
    Participation.objects.bulk_create(Participation(run=run, runner=person, status="going")
                                      for person in others)
    fake_strava.requests.clear()

    with django_assert_max_num_queries(5):
        page = page_of(runner_client, run)

    assert f"Runner {count - 1}" in page
    assert fake_strava.requests == []


@pytest.mark.parametrize("count", [1, 30])
def test_started_run_page_with_my_activity_queries_stay_flat(
    runner_client, fake_strava, linked, django_assert_max_num_queries, count
):
    others = User.objects.bulk_create(
        User(email=f"r{i}@example.com", display_name=f"Runner {i}") for i in range(count))
    Participation.objects.bulk_create(
        Participation(run=linked.run, runner=person, status="going", attended_at=timezone.now())
        for person in others)

    with django_assert_max_num_queries(7):
        page = page_of(runner_client, linked.run)

    assert ACTIVITY_NAME in page
    assert page.count('<span class="attended">· came</span>') == count


def test_activities_with_a_hidden_start_time_are_listed_last(runner_client, fake_strava,
                                                             organiser, runner, strava_athlete):
    from datetime import UTC, datetime

    # Strava writes a hidden start time as 00:00:01 UTC; this run starts at 01:30 UTC.
    midnight = datetime.combine(timezone.now().date() - timedelta(days=1), datetime.min.time(),
                                tzinfo=UTC)
    run = make_run(organiser, starts_at=midnight + timedelta(hours=1, minutes=30))
    ran(run, runner)
    fake_strava.add_activity(strava_athlete, start=midnight + timedelta(seconds=1),
                             name="Hidden time run")
    fake_strava.add_activity(strava_athlete, start=run.starts_at, name=ACTIVITY_NAME)

    page = text(runner_client.get(choose_url(run)))

    assert page.index(ACTIVITY_NAME) < page.index("Hidden time run")
    assert re.search(r'value="\d+" checked>\s*<span><strong>' + re.escape(ACTIVITY_NAME), page)


def test_linking_after_leaving_the_run_meanwhile_is_refused_and_keeps_nothing(
        fake_strava, started_run, runner, strava_athlete):
    activity_id = fake_strava.add_activity(strava_athlete, start=started_run.starts_at)
    participation = Participation.objects.get(run=started_run, runner=runner)
    Participation.objects.filter(pk=participation.pk).delete()  # another tab, a moment ago

    with pytest.raises(strava.LinkRefused):
        strava.link(participation, runner.strava, activity_id)

    assert not ActivityLink.objects.exists()
