"""Who came: the organisers' check-in list, a runner's "I was there", who sees the marks,
the 7-day window, and how a Strava link's mark and a mark made on join run live together."""

import html
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from clubs.models import Organiser
from joinrun import personal_data
from runs import attendance
from runs.models import Participation
from strava import services as strava
from strava.models import ActivityLink
from tests.clubs import conftest as clubs_conftest
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import connect_strava
from tests.runs.conftest import make_run, make_runners

co_organiser = clubs_conftest.co_organiser  # the clubs' cast, as a fixture here too


def text(response):
    return html.unescape(response.content.decode())


def check_in_url(run):
    return f"/runs/{run.pk}/check-in/"


def mark_url(participation):
    return f"/runs/{participation.run_id}/check-in/{participation.pk}/"


def i_was_there_url(run):
    return f"/runs/{run.pk}/i-was-there/"


def ago(**delta):
    return (timezone.now() - timedelta(**delta)).replace(microsecond=0)


def on(run, person, status="going"):
    return Participation.objects.create(run=run, runner=person, status=status)


def row(page, participation):
    """The check-in row of ``participation``: its text, as a reader sees it."""
    found = re.search(rf'<li class="check-in-row[^"]*" id="runner-{participation.pk}">.*?</li>',
                      page, re.S)[0]
    return " ".join(re.sub(r"<[^>]+>", "", found).split())


@pytest.fixture
def started_run(organiser, runner):
    """A run that started 10 minutes ago: Ana and Runner 0 going, Runner 1 waiting."""
    run = make_run(organiser, starts_at=ago(minutes=10), capacity=2)
    first, second = make_runners(2)
    on(run, runner)
    on(run, first)
    on(run, second, status="waitlisted")
    return run


def mine(run, person):
    return run.participations.get(runner=person)


# The check-in page


def test_the_organiser_is_offered_check_in_once_the_run_has_started(
    organiser_client, started_run
):
    page = text(organiser_client.get(f"/runs/{started_run.pk}/"))
    assert f'href="/runs/{started_run.pk}/check-in/">Check in runners</a>' in page
    assert f'href="/runs/{started_run.pk}/runners.csv"' in page


def test_no_check_in_before_the_start_only_the_list(organiser_client, organiser):
    run = make_run(organiser, days=1)
    page = text(organiser_client.get(f"/runs/{run.pk}/"))
    assert "Check in runners" not in page
    assert f'href="/runs/{run.pk}/runners.csv"' in page


def test_runners_are_not_offered_check_in(runner_client, started_run):
    page = text(runner_client.get(f"/runs/{started_run.pk}/"))
    assert "Check in runners" not in page and "runners.csv" not in page


def test_check_in_lists_everyone_going_then_the_waitlist(organiser_client, started_run):
    response = organiser_client.get(check_in_url(started_run))

    assert response.status_code == 200
    page = text(response)
    going, waiting = page.split("<h2>On the waitlist</h2>")
    assert going.index("Ana") < going.index("Runner 0")
    assert "Runner 1" in waiting
    assert "0 of 2 runners came." in page
    assert page.count('<button type="submit" aria-describedby=') == 3
    assert "runner@example.com" not in page


def test_check_in_lists_a_restricted_runner_without_their_name(organiser_client, started_run,
                                                               runner):
    runner.processing_restricted_at = timezone.now()
    runner.save()
    page = text(organiser_client.get(check_in_url(started_run)))
    assert "Ana" not in page
    assert "Runner 1 (name withheld)" in page
    assert row(page, mine(started_run, runner))


def test_one_tap_marks_a_runner_as_came_and_comes_back_to_their_row(
    organiser_client, started_run, runner
):
    participation = mine(started_run, runner)

    response = organiser_client.post(mark_url(participation), {"came": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{check_in_url(started_run)}#runner-{participation.pk}"
    participation.refresh_from_db()
    assert participation.attended_at is not None
    assert participation.attended_by == "organiser"
    page = text(organiser_client.get(check_in_url(started_run)))
    assert "✓ Came" in row(page, participation) and "Didn't come" in row(page, participation)
    assert "1 of 2 runners came." in page


def test_a_second_tap_takes_the_mark_back(organiser_client, started_run, runner):
    participation = mine(started_run, runner)
    organiser_client.post(mark_url(participation), {"came": "1"})

    organiser_client.post(mark_url(participation), {"came": "0"})

    participation.refresh_from_db()
    assert participation.attended_at is None and participation.attended_by == ""


def test_marking_twice_keeps_the_first_mark(organiser_client, started_run, runner):
    participation = mine(started_run, runner)
    organiser_client.post(mark_url(participation), {"came": "1"})
    participation.refresh_from_db()
    first = participation.attended_at

    organiser_client.post(mark_url(participation), {"came": "1"})

    participation.refresh_from_db()
    assert participation.attended_at == first


def test_with_javascript_the_answer_is_the_new_row(organiser_client, started_run, runner):
    participation = mine(started_run, runner)

    response = organiser_client.post(mark_url(participation), {"came": "1"},
                                     HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    answer = json.loads(response.content)
    assert f'id="runner-{participation.pk}"' in answer["row"]
    assert "Didn't come" in answer["row"] and 'name="csrfmiddlewaretoken"' in answer["row"]
    assert answer["summary"] == "1 of 2 runners came."
    assert answer["said"] == "Ana came."


def test_a_waitlisted_runner_who_came_anyway_can_be_marked(organiser_client, started_run):
    waiting = started_run.participations.get(status="waitlisted")
    organiser_client.post(mark_url(waiting), {"came": "1"})
    waiting.refresh_from_db()
    assert waiting.attended_at is not None


def test_a_club_co_organiser_checks_runners_in(client, organiser, co_organiser, runner):
    club = make_club(organiser, co_organisers=[co_organiser])
    run = make_club_run(club, organiser, starts_at=ago(minutes=10))
    participation = on(run, runner)
    client.force_login(co_organiser)

    assert client.get(check_in_url(run)).status_code == 200
    assert client.post(mark_url(participation), {"came": "1"}).status_code == 302
    participation.refresh_from_db()
    assert participation.attended_at is not None


def test_a_former_co_organiser_may_not(client, organiser, co_organiser, runner):
    club = make_club(organiser, co_organisers=[co_organiser])
    run = make_club_run(club, organiser, starts_at=ago(minutes=10))
    participation = on(run, runner)
    Organiser.objects.filter(club=club, user=co_organiser).delete()
    client.force_login(co_organiser)

    assert client.get(check_in_url(run)).status_code == 403
    assert client.post(mark_url(participation), {"came": "1"}).status_code == 403


@pytest.mark.parametrize("who", ["outsider", "runner"])
def test_only_organisers_reach_the_check_in(client, outsider, runner, started_run, who):
    client.force_login(outsider if who == "outsider" else runner)
    participation = mine(started_run, runner)

    assert client.get(check_in_url(started_run)).status_code == 403
    assert client.post(mark_url(participation), {"came": "1"}).status_code == 403
    participation.refresh_from_db()
    assert participation.attended_at is None


def test_signed_out_visitors_are_sent_to_log_in(client, started_run, runner):
    response = client.get(check_in_url(started_run))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(mark_url(mine(started_run, runner)), {"came": "1"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# Bad input


def test_check_in_before_the_start_is_refused_with_a_message(organiser_client, organiser,
                                                             runner):
    run = make_run(organiser, days=1)
    participation = on(run, runner)

    response = organiser_client.get(check_in_url(run))
    assert response.status_code == 409
    assert "Check-in opens when the run starts." in text(response)

    response = organiser_client.post(mark_url(participation), {"came": "1"})
    assert response.status_code == 409
    assert "Check-in opens when the run starts." in text(response)
    participation.refresh_from_db()
    assert participation.attended_at is None


def test_check_in_is_open_until_seven_days_after_the_start(organiser_client, organiser, runner):
    run = make_run(organiser, starts_at=ago(days=7) + timedelta(minutes=5))
    participation = on(run, runner)
    assert organiser_client.post(mark_url(participation), {"came": "1"}).status_code == 302


def test_checking_in_on_a_run_more_than_seven_days_old_is_refused(organiser_client, organiser,
                                                                  runner):
    run = make_run(organiser, starts_at=ago(days=7, minutes=1))
    participation = on(run, runner)

    response = organiser_client.post(mark_url(participation), {"came": "1"})

    assert response.status_code == 409
    assert "Check-in closed 7 days after the run started." in text(response)
    participation.refresh_from_db()
    assert participation.attended_at is None


def test_after_seven_days_the_list_still_shows_who_came_without_buttons(
    organiser_client, organiser, runner
):
    run = make_run(organiser, days=-10)
    Participation.objects.create(run=run, runner=runner, status="going",
                                 attended_at=run.starts_at, attended_by="organiser")

    response = organiser_client.get(check_in_url(run))

    assert response.status_code == 200
    page = text(response)
    assert row(page, run.participations.get()) == "Ana ✓ Came"
    assert "Check-in closed 7 days after the run started." in page
    assert "<button" not in page.split("<main", 1)[1].split("</main>")[0]
    assert "check-in.js" not in page


def test_with_javascript_a_refusal_is_json_with_the_message(organiser_client, organiser,
                                                            runner):
    run = make_run(organiser, days=-8)
    response = organiser_client.post(mark_url(on(run, runner)), {"came": "1"},
                                     HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert "Check-in closed" in json.loads(response.content)["error"]


def test_a_cancelled_run_has_nobody_to_check_in(organiser_client, organiser, runner):
    run = make_run(organiser, days=1)
    participation = on(run, runner)
    run.cancel()  # its runners stay on it, marked cancelled
    run.starts_at = ago(minutes=5)
    run.save()

    response = organiser_client.post(mark_url(participation), {"came": "1"})

    assert response.status_code == 409
    assert "This run was cancelled" in text(response)


@pytest.mark.parametrize("came", ["", "yes", "2"])
def test_a_mark_that_is_neither_came_nor_not_is_refused(organiser_client, started_run, runner,
                                                        came):
    participation = mine(started_run, runner)
    response = organiser_client.post(mark_url(participation), {"came": came})
    assert response.status_code == 400
    assert "Choose whether the runner came or not." in text(response)


def test_a_runner_of_another_run_is_not_found(organiser_client, organiser, started_run,
                                              outsider):
    elsewhere = on(make_run(organiser, starts_at=ago(minutes=10)), outsider)
    url = f"/runs/{started_run.pk}/check-in/{elsewhere.pk}/"
    assert organiser_client.post(url, {"came": "1"}).status_code == 404


def test_a_runner_who_is_gone_is_not_found(organiser_client, started_run, runner):
    participation = mine(started_run, runner)
    participation.delete()
    assert organiser_client.post(mark_url(participation), {"came": "1"}).status_code == 404


def test_marking_is_post_only(organiser_client, started_run, runner):
    assert organiser_client.get(mark_url(mine(started_run, runner))).status_code == 405
    assert organiser_client.get(i_was_there_url(started_run)).status_code == 405


def test_a_mark_without_the_csrf_token_is_refused(client, organiser, started_run, runner):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(organiser)
    assert client.post(mark_url(mine(started_run, runner)), {"came": "1"}).status_code == 403


# "I was there"


def test_a_runner_says_they_were_there(runner_client, runner, started_run):
    page = text(runner_client.get(f"/runs/{started_run.pk}/"))
    assert '<button type="submit">I was there</button>' in page

    response = runner_client.post(i_was_there_url(started_run), {"came": "1"}, follow=True)

    assert "Thanks: you're marked as having come." in text(response)
    assert "You ran it" in text(response)
    participation = mine(started_run, runner)
    assert participation.attended_at is not None and participation.attended_by == "runner"


def test_a_runner_takes_it_back(runner_client, runner, started_run):
    runner_client.post(i_was_there_url(started_run), {"came": "1"})

    response = runner_client.post(i_was_there_url(started_run), {"came": "0"}, follow=True)

    assert "Done: you're no longer marked as having come." in text(response)
    assert mine(started_run, runner).attended_at is None
    assert "I was there" in text(response)


def test_a_runner_may_take_back_a_mark_the_organiser_made(runner_client, runner, started_run):
    participation = mine(started_run, runner)
    attendance.mark(participation, came=True, by="organiser")
    runner_client.post(i_was_there_url(started_run), {"came": "0"})
    assert mine(started_run, runner).attended_at is None


def test_i_was_there_before_the_start_is_refused(runner_client, runner, organiser):
    run = make_run(organiser, days=1)
    run.join(runner)
    page = text(runner_client.get(f"/runs/{run.pk}/"))
    assert "I was there" not in page

    response = runner_client.post(i_was_there_url(run), {"came": "1"})

    assert response.status_code == 409
    assert "Check-in opens when the run starts." in text(response)


def test_i_was_there_after_seven_days_is_refused(runner_client, runner, organiser):
    run = make_run(organiser, days=-8)
    on(run, runner)
    assert "I was there" not in text(runner_client.get(f"/runs/{run.pk}/"))

    response = runner_client.post(i_was_there_url(run), {"came": "1"})

    assert response.status_code == 409
    assert "Check-in closed 7 days after the run started." in text(response)


@pytest.mark.parametrize("who", ["outsider", "waitlisted"])
def test_only_runners_with_a_place_say_they_were_there(client, outsider, started_run, who):
    person = outsider if who == "outsider" else started_run.participations.get(
        status="waitlisted").runner
    client.force_login(person)

    response = client.post(i_was_there_url(started_run), {"came": "1"})

    assert response.status_code == 403
    assert "Only runners who had a place on this run can say they were there." in text(response)
    assert not started_run.participations.filter(attended_at__isnull=False).exists()


def test_i_was_there_needs_a_clear_answer(runner_client, started_run):
    response = runner_client.post(i_was_there_url(started_run), {"came": "maybe"})
    assert response.status_code == 400
    assert "Say whether you were there." in text(response)


# Who sees who came


@pytest.mark.parametrize("viewer", ["organiser", "another runner"])
def test_the_organiser_and_fellow_runners_see_who_came(client, organiser, runner, started_run,
                                                       viewer):
    attendance.mark(mine(started_run, runner), came=True, by="runner")
    other = started_run.participations.exclude(runner=runner).filter(status="going").get()
    client.force_login(organiser if viewer == "organiser" else other.runner)

    page = text(client.get(f"/runs/{started_run.pk}/"))

    assert '<li>Ana <span class="attended">· came</span></li>' in page
    assert "<li>Runner 0</li>" in page
    assert "1 came." in page


def test_signed_out_visitors_see_only_how_many_came(client, runner, started_run):
    attendance.mark(mine(started_run, runner), came=True, by="runner")
    page = text(client.get(f"/runs/{started_run.pk}/"))
    assert "2 runners were going. 1 came." in page
    assert "Ana" not in page


def test_a_mark_shows_at_once_on_the_public_cards(client, organiser_client, runner,
                                                  started_run):
    assert "came" not in text(client.get("/runs/?past=1"))  # now in the page cache
    organiser_client.post(mark_url(mine(started_run, runner)), {"came": "1"})
    client.cookies.clear()
    assert "1 came" in text(client.get("/runs/?past=1"))


# Strava's display rule: "came" is join run's own fact, never derived from Strava


def link_an_activity(fake_strava, runner, run):
    participation = mine(run, runner)
    connection, athlete_id = connect_strava(runner, fake_strava)
    activity_id = fake_strava.add_activity(athlete_id, start=run.starts_at, name="Morning run")
    strava.link(participation, connection, activity_id)
    return participation


def test_linking_an_activity_marks_nothing_the_organiser_or_other_runners_see(
        client, organiser_client, fake_strava, runner, started_run):
    other = started_run.participations.exclude(runner=runner).first().runner

    participation = link_an_activity(fake_strava, runner, started_run)

    participation.refresh_from_db()
    assert participation.attended_at is None and participation.attended_by == ""
    assert ActivityLink.objects.filter(participation=participation).exists()
    for page in (organiser_client.get(started_run.get_absolute_url()),
                 organiser_client.get(f"/runs/{started_run.pk}/check-in/")):
        assert 'class="attended"' not in text(page) and not re.search(r"\d+ came", text(page))
    client.force_login(other)
    page = text(client.get(started_run.get_absolute_url()))
    assert 'class="attended"' not in page and not re.search(r"\d+ came", page)
    client.logout()
    assert not re.search(r"\d+ came", text(client.get("/runs/?past=1")))


def test_a_mark_made_on_join_run_outlives_the_link_and_the_connection(
        fake_strava, runner, started_run):
    participation = mine(started_run, runner)
    attendance.mark(participation, came=True, by="organiser")
    marked_at = Participation.objects.get(pk=participation.pk).attended_at
    link_an_activity(fake_strava, runner, started_run)

    strava.unlink(participation)
    strava.forget(runner.strava)

    participation.refresh_from_db()
    assert (participation.attended_at, participation.attended_by) == (marked_at, "organiser")


def test_marks_a_linked_activity_made_before_are_forgotten_by_the_migration(
        started_run, runner):
    """Before the display rule, linking an activity marked the runner as came ("strava");
    the migration takes those marks back, and leaves join run's own."""
    import importlib

    from django.apps import apps

    from_strava = mine(started_run, runner)
    own = started_run.participations.exclude(runner=runner).first()
    Participation.objects.filter(pk=from_strava.pk).update(
        attended_at=timezone.now(), attended_by="strava")
    attendance.mark(own, came=True, by="runner")
    migration = importlib.import_module(
        "runs.migrations.0011_strava_moves_out_attendance_is_ours")

    migration.forget_marks_from_strava(apps, None)

    from_strava.refresh_from_db()
    own.refresh_from_db()
    assert from_strava.attended_at is None and from_strava.attended_by == ""
    assert own.attended_at is not None and own.attended_by == "runner"


# The register, the export and erasure


def test_the_register_says_how_a_mark_is_made():
    purposes = {f.field: str(f.purpose) for f in personal_data.fields()
                if f.model == "runs.Participation"}
    assert purposes["attended_at"].startswith(
        "That you came: marked by you or by the organiser at the meeting point (never taken "
        "from Strava)")
    assert "attended_by" in purposes


def test_the_export_has_each_runs_mark_and_who_made_it(runner, started_run):
    attendance.mark(mine(started_run, runner), came=True, by="organiser")
    (exported,) = personal_data.export_for(runner)["participations"]
    assert exported["attended_at"] is not None
    assert exported["attendance_marked_by"] == "organiser"


def test_erasure_takes_the_marks_with_the_places(runner, started_run):
    attendance.mark(mine(started_run, runner), came=True, by="runner")
    personal_data.erase_for(runner)
    assert started_run.participations.count() == 2
    assert not started_run.participations.filter(attended_at__isnull=False).exists()


# Cost


@pytest.mark.parametrize("count", [1, 30])
def test_the_check_in_page_makes_as_many_queries_for_30_runners_as_for_one(
    organiser_client, organiser, django_assert_num_queries, count
):
    run = make_run(organiser, starts_at=ago(minutes=10))
    for person in make_runners(count):
        on(run, person)
    # The session with its account, the run, its runners.
    with django_assert_num_queries(3):
        page = text(organiser_client.get(check_in_url(run)))
    assert page.count('class="check-in-row') == count
