"""A cancelled run can be reopened until it starts: its runners are back in their places
and told, calendars replace their copy, and the reminder is due again."""

from datetime import timedelta

from django.core import mail
from django.test import Client
from django.utils import timezone

from runs import services
from runs.models import Run
from runs.reminders import REMINDER_BEFORE
from tests.clubs.conftest import make_club, make_club_run, text
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners
from tests.runs.test_cancel_confirmation import make_series
from tests.runs.test_reminders import reminder_tasks, run_the_worker_at


def reopen(client, run, **data):
    return client.post(f"/runs/{run.pk}/reopen/", data)


def statuses(run):
    return {p.runner.email: p.status for p in run.participations.select_related("runner")}


def test_reopening_brings_the_runners_back_to_their_places_and_tells_them(organiser_client,
                                                                          run):
    first, second, waiting = make_runners(3)
    for person in (first, second, waiting):
        run.join(person)
    before = statuses(run)
    services.cancel([run], reason="Storm")
    mail.outbox.clear()

    response = reopen(organiser_client, run)

    assert response["Location"] == f"/runs/{run.pk}/"
    run.refresh_from_db()
    assert not run.is_cancelled and run.cancel_reason == ""
    assert statuses(run) == before
    told = {m.to[0]: m for m in mail.outbox}
    assert sorted(told) == sorted(p.email for p in (first, second, waiting))
    assert told[first.email].subject == "On again: Tuesday river loop"
    assert "you're going" in told[first.email].body
    assert "You're back on the waitlist, #1." in told[waiting.email].body
    assert f"http://127.0.0.1:8000/runs/{run.pk}/" in told[first.email].body
    page = text(organiser_client.get(response["Location"]))
    assert "The run is open again. 3 runners were emailed." in page
    assert "This run is cancelled." not in page


def test_reopening_raises_the_calendar_sequence(organiser_client, run):
    run.cancel()
    cancelled_sequence = Run.objects.get(pk=run.pk).sequence
    reopen(organiser_client, run)
    assert Run.objects.get(pk=run.pk).sequence == cancelled_sequence + 1


def test_reopening_schedules_the_reminder_again(organiser_client, run, runner):
    run.join(runner)
    run.cancel()
    assert reminder_tasks(run) == []
    reopen(organiser_client, run)
    (task,) = reminder_tasks(run)
    assert task.run_after == run.starts_at - REMINDER_BEFORE
    mail.outbox.clear()
    assert run_the_worker_at(run.starts_at - REMINDER_BEFORE) == ["emailed 1"]


def test_places_freed_while_cancelled_go_to_the_waitlist(organiser_client, run):
    first, second, waiting = make_runners(3)
    for person in (first, second, waiting):
        run.join(person)
    run.cancel()
    services.leave(run, first)  # promotes nobody while the run is off
    assert not run.participations.get(runner=waiting).is_going
    mail.outbox.clear()
    response = reopen(organiser_client, run)
    assert run.participations.get(runner=waiting).is_going
    (to_waiting,) = [m for m in mail.outbox if m.to == [waiting.email]]
    assert "you're going" in to_waiting.body
    assert "1 moved up from the waitlist" in text(organiser_client.get(response["Location"]))


def test_a_run_page_offers_reopen_to_its_organiser_only(organiser_client, client, outsider,
                                                        run):
    run.cancel()
    assert "Reopen this run" in text(organiser_client.get(f"/runs/{run.pk}/"))
    client.force_login(outsider)
    assert "Reopen this run" not in text(client.get(f"/runs/{run.pk}/"))


def test_an_open_or_started_run_offers_no_reopen(organiser_client, organiser, run):
    assert "Reopen this run" not in text(organiser_client.get(f"/runs/{run.pk}/"))
    started = make_run(organiser, days=-1, cancelled_at=timezone.now() - timedelta(days=2))
    assert "Reopen this run" not in text(organiser_client.get(f"/runs/{started.pk}/"))


def test_a_started_run_cannot_be_reopened(organiser_client, organiser, runner):
    started = make_run(organiser, days=-1, cancelled_at=timezone.now() - timedelta(days=2))
    response = reopen(organiser_client, started)
    assert response.status_code == 409
    assert "This run has started, so it can no longer be reopened." in text(response)
    assert Run.objects.get(pk=started.pk).is_cancelled
    assert not mail.outbox


def test_a_run_that_is_not_cancelled_cannot_be_reopened(organiser_client, run, runner):
    run.join(runner)
    response = reopen(organiser_client, run)
    assert response.status_code == 409
    assert "This run is not cancelled, so there is nothing to reopen." in text(response)
    assert Run.objects.get(pk=run.pk).sequence == 0
    assert not mail.outbox


def test_reopening_twice_tells_the_runners_once(organiser_client, run, runner):
    run.join(runner)
    run.cancel()
    mail.outbox.clear()
    reopen(organiser_client, run)
    assert reopen(organiser_client, run).status_code == 409
    assert len(mail.outbox) == 1


def test_only_organisers_may_reopen(client, outsider, runner, run):
    run.join(runner)
    run.cancel()
    for person in (outsider, runner):
        client.force_login(person)
        assert reopen(client, run).status_code == 403
    assert Run.objects.get(pk=run.pk).is_cancelled


def test_signed_out_visitors_are_sent_to_log_in(client, run):
    run.cancel()
    response = reopen(client, run)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Run.objects.get(pk=run.pk).is_cancelled


def test_reopen_is_post_only_and_needs_the_csrf_token(organiser_client, organiser, run):
    run.cancel()
    assert organiser_client.get(f"/runs/{run.pk}/reopen/").status_code == 405
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(organiser)
    assert reopen(browser, run).status_code == 403
    assert Run.objects.get(pk=run.pk).is_cancelled


def test_an_unknown_run_is_not_found(organiser_client, db):
    assert organiser_client.post("/runs/999999/reopen/").status_code == 404


def test_a_club_co_organiser_reopens_a_club_run(client, organiser, runner):
    co = make_user("co@example.com", "Dora")
    club = make_club(organiser, co_organisers=[co])
    run = make_club_run(club, organiser)
    run.join(runner)
    run.cancel()
    client.force_login(co)
    assert reopen(client, run).status_code == 302
    assert not Run.objects.get(pk=run.pk).is_cancelled


def test_a_closed_clubs_run_stays_cancelled(client, organiser, runner):
    from clubs import services as club_services

    club = make_club(organiser)
    run = make_club_run(club, organiser)
    run.join(runner)
    club_services.close(club, by=organiser)
    client.force_login(organiser)
    response = reopen(client, run)
    assert response.status_code == 409
    assert "The club has closed" in text(response)
    assert Run.objects.get(pk=run.pk).is_cancelled


def test_dates_cancelled_together_reopen_together_with_one_email_each(organiser_client,
                                                                      organiser):
    runs = make_series(organiser)
    ana, bor = make_runners(2)
    for each in runs:
        each.join(ana)
    runs[3].join(bor)
    organiser_client.post(f"/runs/{runs[1].pk}/cancel/", {"scope": "later", "confirm": "yes"})
    mail.outbox.clear()
    page = text(organiser_client.get(f"/runs/{runs[1].pk}/"))
    assert "Reopen this and 2 later dates" in page

    response = reopen(organiser_client, runs[1], scope="later")

    assert [Run.objects.get(pk=r.pk).is_cancelled for r in runs] == [False] * 4
    (to_ana,) = [m for m in mail.outbox if m.to == [ana.email]]
    assert to_ana.subject == "On again: Tuesday river loop (3 dates)"
    assert to_ana.body.count("· you're going") == 3
    assert f"http://127.0.0.1:8000/runs/series/{runs[0].series}/" in to_ana.body.splitlines()
    (to_bor,) = [m for m in mail.outbox if m.to == [bor.email]]
    assert to_bor.subject == "On again: Tuesday river loop"
    assert "3 runs are open again. 2 runners were emailed." in text(
        organiser_client.get(response["Location"]))


def test_a_date_cancelled_on_its_own_is_not_reopened_with_the_others(organiser_client,
                                                                     organiser):
    runs = make_series(organiser, weeks=3)
    services.cancel([runs[2]], reason="Race day")
    services.cancel([runs[0], runs[1]], reason="Storm", now=timezone.now() + timedelta(seconds=1))
    reopen(organiser_client, runs[0], scope="later")
    assert [Run.objects.get(pk=r.pk).is_cancelled for r in runs] == [False, False, True]


def test_this_date_only_reopens_one_date(organiser_client, organiser):
    runs = make_series(organiser, weeks=3)
    services.cancel(runs, reason="Storm")
    reopen(organiser_client, runs[0])
    assert [Run.objects.get(pk=r.pk).is_cancelled for r in runs] == [False, True, True]
