"""One email per person per action, saying everything that concerns them, and the
organiser told who was told."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from runs.models import Run
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners
from tests.runs.test_organise import edit_form, local_input, run_form


def messages_on(response_page):
    return response_page.content.decode()


def test_a_new_time_says_the_old_time_and_the_new(organiser_client, organiser, runner):
    run = make_run(organiser)
    run.join(runner)
    old = timezone.localtime(run.starts_at)
    new = old + timedelta(hours=2)
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, starts_at=local_input(new)))
    (email,) = mail.outbox
    assert f"New time: {new:%A} {new.day} {new:%B %Y}, {new:%H:%M}, Ljubljana time" in email.body
    assert f"It was: {old:%A} {old.day} {old:%B %Y}, {old:%H:%M}, Ljubljana time" in email.body


def test_a_move_that_also_sends_a_runner_back_to_the_waitlist_is_one_email(
    organiser_client, organiser
):
    run = make_run(organiser, capacity=3)
    people = make_runners(3)
    for person in people:
        run.join(person)
    new = run.starts_at + timedelta(hours=1)
    organiser_client.post(f"/runs/{run.pk}/edit/",
                          edit_form(run, starts_at=local_input(new), capacity="2"))
    told = {}
    for email in mail.outbox:
        told.setdefault(email.to[0], []).append(email)
    assert {address: len(emails) for address, emails in told.items()} == {
        p.email: 1 for p in people
    }
    (moved,) = told[people[2].email]
    assert moved.subject == "New time: Tuesday river loop · back on the waitlist"
    assert "New time:" in moved.body and "You are #1 on it" in moved.body
    (stayed,) = told[people[0].email]
    assert "waitlist" not in stayed.subject and "You are #" not in stayed.body


def test_a_move_that_promotes_a_runner_says_both(organiser_client, organiser):
    run = make_run(organiser, capacity=1)
    first, second = make_runners(2)
    run.join(first)
    run.join(second)
    organiser_client.post(f"/runs/{run.pk}/edit/",
                          edit_form(run, meeting_point="Town hall", capacity="2"))
    (email,) = [m for m in mail.outbox if m.to == [second.email]]
    assert email.subject == "New meeting point: Tuesday river loop · you're going"
    assert "Town hall" in email.body and "It was: Cobblers' Bridge" in email.body
    assert len(mail.outbox) == 2


def test_the_organiser_is_told_who_was_told(organiser_client, organiser):
    run = make_run(organiser, capacity=5)
    for person in make_runners(5):
        run.join(person)
    response = organiser_client.post(
        f"/runs/{run.pk}/edit/",
        edit_form(run, starts_at=local_input(run.starts_at + timedelta(hours=1)),
                  capacity="4"), follow=True)
    assert "5 runners were emailed; 1 moved back to the waitlist." in messages_on(response)


def test_a_change_nobody_joined_emails_nobody_and_says_so(organiser_client, organiser):
    run = make_run(organiser)
    response = organiser_client.post(
        f"/runs/{run.pk}/edit/",
        edit_form(run, starts_at=local_input(run.starts_at + timedelta(hours=1))), follow=True)
    assert "Nobody had joined, so nobody was emailed." in messages_on(response)
    assert not mail.outbox


def test_cancelling_says_how_many_were_emailed(organiser_client, organiser):
    run = make_run(organiser)
    for person in make_runners(2):
        run.join(person)
    response = organiser_client.post(f"/runs/{run.pk}/cancel/", {"confirm": "yes"}, follow=True)
    assert "The run is cancelled. 2 runners were emailed." in messages_on(response)


def test_cancelling_the_rest_of_a_series_sends_each_runner_one_email_with_every_date(
    organiser_client, organiser, runner, outsider
):
    organiser_client.post("/runs/new/", run_form(repeat_weeks="3"))
    runs = list(Run.objects.order_by("starts_at"))
    for each in runs[1:]:
        each.join(runner)
    runs[3].join(outsider)
    response = organiser_client.post(f"/runs/{runs[1].pk}/cancel/",
                                     {"scope": "later", "confirm": "yes"}, follow=True)
    assert "3 runs are cancelled. 2 runners were emailed." in messages_on(response)
    (to_runner,) = [m for m in mail.outbox if m.to == [runner.email]]
    assert to_runner.subject == "Cancelled: Tuesday river loop (3 dates)"
    for each in runs[1:]:
        day = timezone.localtime(each.starts_at)
        assert f"- {day:%A} {day.day} {day:%B %Y}, 18:00, Ljubljana time" in to_runner.body
    first = timezone.localtime(runs[0].starts_at)
    assert f"{first.day} {first:%B %Y}" not in to_runner.body
    (to_outsider,) = [m for m in mail.outbox if m.to == [outsider.email]]
    assert to_outsider.subject == "Cancelled: Tuesday river loop"


def test_runners_whose_address_is_not_confirmed_get_no_run_emails(organiser_client, organiser):
    run = make_run(organiser)
    confirmed = make_user("yes@example.com", "Yes")
    unconfirmed = make_user("not-yet@example.com", "Not yet", email_confirmed_at=None)
    run.join(confirmed)
    run.join(unconfirmed)
    response = organiser_client.post(f"/runs/{run.pk}/cancel/", {"confirm": "yes"}, follow=True)
    assert [m.to for m in mail.outbox] == [[confirmed.email]]
    assert "1 runner was emailed." in messages_on(response)


def test_a_slovenian_runner_gets_the_change_in_slovenian(organiser_client, organiser):
    run = make_run(organiser, starts_at=timezone.make_aware(
        timezone.datetime(2027, 12, 2, 18, 30)))
    english = make_user("en@example.com", "Ann")
    slovenian = make_user("sl@example.com", "Špela", language="sl")
    run.join(english)
    run.join(slovenian)
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, meeting_point="Tromostovje"))
    told = {m.to[0]: m for m in mail.outbox}
    assert told["en@example.com"].subject == "New meeting point: Tuesday river loop"
    to_sl = told["sl@example.com"]
    assert to_sl.subject == "Novo zbirno mesto: Tuesday river loop"
    assert "četrtek, 2. decembra 2027, ob 18:30 po ljubljanskem času" in to_sl.body
    assert to_sl.extra_headers["Content-Language"] == "sl"


def test_runs_cancelled_together_that_are_not_one_series_are_told_apart(client, organiser,
                                                                        runner):
    hills = make_run(organiser, title="Monday hills", meeting_point="Castle")
    track = make_run(organiser, days=5, title="Friday track", meeting_point="Stadium")
    hills.join(runner)
    track.join(runner)
    staff = make_user("staff@example.com", "Staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.post("/admin/runs/run/", {"action": "cancel_runs",
                                     "_selected_action": [hills.pk, track.pk],
                                     "reason": "Flooded paths.", "apply": "1"})
    told = sorted((m.subject, "Castle" in m.body, "Stadium" in m.body) for m in mail.outbox)
    assert told == [("Cancelled: Friday track", False, True),
                    ("Cancelled: Monday hills", True, False)]


def test_a_series_whose_dates_meet_in_different_places_lists_each_place(
    organiser_client, organiser, runner
):
    organiser_client.post("/runs/new/", run_form(repeat_weeks="1"))
    first, second = Run.objects.order_by("starts_at")
    Run.objects.filter(pk=second.pk).update(meeting_point="Town hall")
    first.join(runner)
    second.join(runner)
    organiser_client.post(f"/runs/{first.pk}/cancel/", {"scope": "later", "confirm": "yes"})
    (email,) = mail.outbox
    assert "18:00, Ljubljana time · Cobblers' Bridge" in email.body
    assert "18:00, Ljubljana time · Town hall" in email.body


def test_an_organiser_who_leaves_sends_each_runner_of_a_series_one_email(
    organiser_client, organiser, runner
):
    organiser_client.post("/runs/new/", run_form(repeat_weeks="2"))
    for each in Run.objects.all():
        each.join(runner)
    organiser_client.post("/accounts/delete/", {"confirmation": "long-enough-password-42"})
    (email,) = [m for m in mail.outbox if m.to == [runner.email]]
    assert email.subject == "Cancelled: Tuesday river loop (3 dates)"
    assert "The organiser closed their account." in email.body
    assert "/runs/" not in email.body
