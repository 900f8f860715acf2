"""'New runs from <club>': a club's followers get its new runs in one email a day at most;
a weekly series is one line; cancelled runs, closed clubs, unfollowed and unreachable
followers get nothing; the hourly sweep sends what no task did."""

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from clubs import digests, services
from clubs.models import DIGEST_EVERY, Club, Invitation
from clubs.unsubscribe import read_token
from joinrun.mail import site_url
from joinrun.outbox.templatetags.email_dates import when
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user
from tests.runs.test_organise import run_form

TASK = "clubs.digests.send_club_digest"
SUBJECT = "New runs from Tivoli Trotters"


@pytest.fixture
def follower(club):
    person = make_user("follower@example.com", "Eva")
    services.follow(club, person)
    return person


def digests_sent():
    # By the unfollow link every digest carries: subjects are in each follower's language.
    return [m for m in mail.outbox
            if "/clubs/unsubscribe/" in m.extra_headers.get("List-Unsubscribe", "")]


def waiting_tasks():
    return list(DBTaskResult.objects.filter(task_path=TASK, status="READY"))


def fresh(club):
    return Club.objects.get(pk=club.pk)


def publish(club, organiser, **fields):
    """A club run published as the new-run page does: created, then its digest
    scheduled (the tests deliver at once a task due at once)."""
    run = make_club_run(club, organiser, **fields)
    digests.schedule(club)
    return run


def english_when(moment):
    with translation.override("en"):
        return when(moment)


def test_a_new_run_reaches_a_follower_at_once_with_its_time_place_and_link(
        club, organiser, follower):
    run = publish(club, organiser, title="River loop", meeting_point="Cobblers' Bridge")
    (email,) = digests_sent()
    assert email.to == ["follower@example.com"]
    assert email.subject == SUBJECT
    assert f"{english_when(run.starts_at)}: River loop" in email.body
    assert "Meeting point: Cobblers' Bridge" in email.body
    assert site_url(f"/runs/{run.pk}/") in email.body
    assert fresh(club).digest_sent_at is not None


def test_a_weekly_series_is_one_line_with_its_first_date_and_how_many(
        club, organiser, follower):
    series = uuid.uuid4()
    runs = [make_club_run(club, organiser, title="River loop", series=series, days=3 + 7 * week)
            for week in range(6)]
    digests.schedule(club)
    (email,) = digests_sent()
    assert f"Every week from {english_when(runs[0].starts_at)}, 6 dates: River loop" in \
        email.body
    assert email.body.count("River loop") == 1
    assert english_when(runs[1].starts_at) not in email.body
    assert f"/runs/{runs[0].pk}/" in email.body


def test_a_series_and_a_lone_run_are_listed_in_start_order(club, organiser, follower):
    series = uuid.uuid4()
    for week in range(3):
        make_club_run(club, organiser, title="Hill repeats", series=series, days=5 + 7 * week)
    make_club_run(club, organiser, title="Sunday long run", days=2)
    digests.schedule(club)
    (email,) = digests_sent()
    assert email.body.index("Sunday long run") < email.body.index("Hill repeats")
    assert "3 dates: Hill repeats" in email.body


def test_a_second_run_the_same_day_waits_for_the_next_days_digest_then_comes(
        club, organiser, follower):
    publish(club, organiser, title="Monday easy run")
    sent_at = fresh(club).digest_sent_at
    mail.outbox.clear()

    later = publish(club, organiser, title="Thursday tempo")
    assert digests_sent() == []
    (task,) = waiting_tasks()
    assert task.run_after == sent_at + DIGEST_EVERY
    # A task that runs early (a clock off, a sweep) still keeps the daily limit.
    assert digests.send_digest(club.pk, now=sent_at + timedelta(hours=12)) == "sent recently"
    assert digests_sent() == []

    assert digests.send_digest(club.pk, now=task.run_after) == "emailed 1"
    (email,) = digests_sent()
    assert "Thursday tempo" in email.body and "Monday easy run" not in email.body
    assert f"/runs/{later.pk}/" in email.body
    assert fresh(club).digest_sent_at == task.run_after


def test_runs_cancelled_or_started_before_the_digest_goes_are_not_listed(
        club, organiser, follower):
    publish(club, organiser, title="First")
    next_day = fresh(club).digest_sent_at + DIGEST_EVERY
    mail.outbox.clear()
    publish(club, organiser, title="Cancelled one").cancel(reason="Storm")
    publish(club, organiser, title="Early bird", starts_at=next_day - timedelta(minutes=1))
    publish(club, organiser, title="Still on")
    digests.send_digest(club.pk, now=next_day)
    (email,) = digests_sent()
    assert "Still on" in email.body
    assert "Cancelled one" not in email.body and "Early bird" not in email.body


def test_no_email_when_every_new_run_was_cancelled(club, organiser, follower):
    publish(club, organiser)
    next_day = fresh(club).digest_sent_at + DIGEST_EVERY
    mail.outbox.clear()
    make_club_run(club, organiser, title="Gone").cancel()
    assert digests.send_digest(club.pk, now=next_day) == "emailed 0"
    assert digests_sent() == []


def test_unfollowing_stops_the_next_digest(club, organiser, follower):
    publish(club, organiser)
    next_day = fresh(club).digest_sent_at + DIGEST_EVERY
    mail.outbox.clear()
    publish(club, organiser, title="After they left")
    services.unfollow(club, follower)
    digests.send_digest(club.pk, now=next_day)
    assert digests_sent() == []


def test_unconfirmed_and_restricted_followers_get_nothing(club, organiser, follower):
    unconfirmed = make_user("new@example.com", "Nina")
    restricted = make_user("quiet@example.com", "Tine")
    for person in (unconfirmed, restricted):
        services.follow(club, person)
    unconfirmed.email_confirmed_at = None
    unconfirmed.save()
    restricted.processing_restricted_at = timezone.now()
    restricted.save()
    publish(club, organiser)
    assert [m.to for m in digests_sent()] == [["follower@example.com"]]


@pytest.mark.parametrize("state", ["closed_at", "deactivated_at"])
def test_a_closed_or_deactivated_club_sends_nothing(club, organiser, follower, state):
    make_club_run(club, organiser)
    Club.objects.filter(pk=club.pk).update(**{state: timezone.now()})
    assert digests.send_digest(club.pk) == "not listed"
    assert digests_sent() == []
    assert digests.due() == []


def test_runs_published_before_anyone_followed_do_not_flood_the_first_follower(
        club, organiser):
    publish(club, organiser, title="Before anyone followed")
    assert fresh(club).digest_covered_until is not None
    assert fresh(club).digest_sent_at is None  # nobody emailed: no daily limit started
    services.follow(club, make_user("first@example.com", "Eva"))
    publish(club, organiser, title="After")
    (email,) = digests_sent()
    assert "After" in email.body and "Before anyone followed" not in email.body


def test_each_follower_gets_an_own_email_in_their_language_with_an_own_link(
        club, organiser, follower):
    slovene = make_user("ana@example.si", "Ana", language="sl")
    services.follow(club, slovene)
    run = publish(club, organiser)
    emails = {m.to[0]: m for m in digests_sent()}
    assert set(emails) == {"follower@example.com", "ana@example.si"}
    with translation.override("sl"):
        assert when(run.starts_at) in emails["ana@example.si"].body
    links = {}
    for person in (follower, slovene):
        email = emails[person.email]
        # The signed token carries its moment, so it is read back, not rebuilt.
        url = re.fullmatch(r"<(\S+)>", email.extra_headers["List-Unsubscribe"])[1]
        token = parse_qs(urlsplit(url).query)["token"][0]
        assert read_token(token) == (person, club)
        assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert url in email.body
        links[person.email] = url
    assert links[follower.email] not in emails["ana@example.si"].body


def test_the_sweep_sends_a_due_digest_once(club, organiser, follower):
    make_club_run(club, organiser, title="Added in the admin")  # no task was queued
    call_command("send_club_digests")
    (email,) = digests_sent()
    assert "Added in the admin" in email.body
    call_command("send_club_digests")
    assert len(digests_sent()) == 1


def test_the_sweep_keeps_the_daily_limit_then_sends(club, organiser, follower, capsys):
    publish(club, organiser)
    sent_at = fresh(club).digest_sent_at
    mail.outbox.clear()
    make_club_run(club, organiser, title="Waiting")
    assert digests.send_due(now=sent_at + timedelta(hours=23)) == 0
    call_command("send_club_digests", "--dry-run", "--now",
                 (sent_at + DIGEST_EVERY).isoformat())
    assert "would: write the digests of 1 club(s)" in capsys.readouterr().out
    assert digests_sent() == []
    call_command("send_club_digests", "--now", (sent_at + DIGEST_EVERY).isoformat())
    (email,) = digests_sent()
    assert "Waiting" in email.body


def test_a_task_after_the_sweep_sends_nothing_twice(club, organiser, follower):
    make_club_run(club, organiser)
    now = timezone.now()
    assert digests.send_due(now=now) == 1
    assert digests.send_digest(club.pk, now=now) == "sent recently"
    assert len(digests_sent()) == 1


def test_the_sweep_refuses_a_time_it_cannot_read(db):
    with pytest.raises(CommandError, match="ISO time"):
        call_command("send_club_digests", "--now", "tomorrow")


def test_the_sweep_deletes_invitations_two_weeks_after_they_went_stale(club, organiser):
    now = timezone.now()
    old = Invitation.objects.create(club=club, user=make_user("old@example.com", "Old"),
                                    invited_by=organiser, created_at=now - timedelta(days=29))
    stale = Invitation.objects.create(club=club, user=make_user("st@example.com", "Stale"),
                                      invited_by=organiser,
                                      created_at=now - timedelta(days=20))
    call_command("send_club_digests", "--dry-run")
    assert Invitation.objects.filter(pk=old.pk).exists()
    call_command("send_club_digests")
    assert list(Invitation.objects.all()) == [stale]


def test_publishing_a_series_on_the_new_run_page_emails_the_follower(
        client, club, organiser, follower):
    client.force_login(organiser)
    response = client.post("/runs/new/", run_form(club=club.slug, repeat_weeks="5",
                                                  title="River loop"))
    assert response.status_code == 302
    (email,) = digests_sent()
    assert email.subject == SUBJECT
    assert "6 dates: River loop" in email.body

    client.post("/runs/new/", run_form(club=club.slug, title="Another"))
    assert len(digests_sent()) == 1  # the next one waits for tomorrow
    (task,) = waiting_tasks()
    assert task.run_after == fresh(club).digest_sent_at + DIGEST_EVERY


def test_a_run_of_no_club_sends_no_digest(client, organiser, follower):
    client.force_login(organiser)
    client.post("/runs/new/", run_form())
    assert digests_sent() == []


def test_the_digest_of_another_club_is_its_own(club, organiser, follower):
    other = make_club(organiser, name="Rožnik Runners")
    publish(other, organiser, title="Elsewhere")
    assert digests_sent() == []
