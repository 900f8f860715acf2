"""An organiser can take a runner off their run, with an optional reason: the runner is
emailed and the waitlist moves."""

from django.core import mail
from django.test import Client
from django.utils import timezone

from runs.models import Participation
from tests.clubs.conftest import make_club, make_club_run, text
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners


def remove_url(run, participation):
    return f"/runs/{run.pk}/runners/{participation.pk}/remove/"


def place_of(run, person):
    return run.participations.get(runner=person)


def test_the_runners_page_lists_going_and_waiting_with_a_remove_link(organiser_client, run):
    first, second, waiting = make_runners(3)
    for person in (first, second, waiting):
        run.join(person)
    response = organiser_client.get(f"/runs/{run.pk}/runners/")
    assert response.status_code == 200
    page = text(response)
    assert "Going (2)" in page and "Waitlist (1)" in page
    for person in (first, second, waiting):
        assert person.display_name in page
        assert f'href="{remove_url(run, place_of(run, person))}"' in page
    assert "runner@example.com" not in page and "r0@example.com" not in page


def test_a_restricted_runner_is_listed_without_their_name(organiser_client, run):
    hidden = make_user("hidden@example.com", "Hidden Hana",
                       processing_restricted_at=timezone.now())
    run.join(hidden)
    page = text(organiser_client.get(f"/runs/{run.pk}/runners/"))
    assert "Hidden Hana" not in page
    assert "A runner who asked us not to show their name" in page
    assert f'href="{remove_url(run, place_of(run, hidden))}"' in page
    page = text(organiser_client.get(remove_url(run, place_of(run, hidden))))
    assert "Hidden Hana" not in page
    assert "A runner who asked us not to show their name" in page


def test_the_remove_link_asks_with_a_form_and_changes_nothing(organiser_client, run, runner):
    run.join(runner)
    response = organiser_client.get(remove_url(run, place_of(run, runner)))
    assert response.status_code == 200
    page = text(response)
    assert "Ana" in page
    assert "Reason (optional)" in page
    assert "Remove from the run" in page
    assert run.participations.filter(runner=runner).exists()
    assert not mail.outbox


def test_removing_emails_the_runner_with_the_reason_and_moves_the_waitlist(organiser_client,
                                                                            run):
    first, second, waiting = make_runners(3)
    for person in (first, second, waiting):
        run.join(person)
    response = organiser_client.post(remove_url(run, place_of(run, first)),
                                     {"reason": "This run is for the club's juniors."})
    assert response["Location"] == f"/runs/{run.pk}/runners/"
    assert not run.participations.filter(runner=first).exists()
    assert place_of(run, waiting).is_going
    told = {m.to[0]: m for m in mail.outbox}
    assert set(told) == {first.email, waiting.email}
    assert told[first.email].subject == "Off the run: Tuesday river loop"
    assert "took you off the run" in told[first.email].body
    assert "The organiser's reason: This run is for the club's juniors." in \
        told[first.email].body
    assert told[waiting.email].subject == "You're going: Tuesday river loop"
    page = text(organiser_client.get(response["Location"]))
    assert "Runner 0 is no longer on the run. 1 runner moved up from the waitlist. " \
        "2 runners were emailed." in page


def test_removing_without_a_reason_says_none(organiser_client, run, runner):
    run.join(runner)
    organiser_client.post(remove_url(run, place_of(run, runner)), {"reason": ""})
    (email,) = mail.outbox
    assert email.to == [runner.email]
    assert "reason" not in email.body


def test_removing_from_the_waitlist_moves_nobody_up(organiser_client, run):
    first, second, waiting = make_runners(3)
    for person in (first, second, waiting):
        run.join(person)
    organiser_client.post(remove_url(run, place_of(run, waiting)), {})
    assert run.participations.filter(status="going").count() == 2
    (email,) = mail.outbox
    assert email.subject == "Off the waitlist: Tuesday river loop"


def test_removing_a_runner_who_already_left_is_a_clear_404(organiser_client, run, runner):
    run.join(runner)
    place = place_of(run, runner)
    run.leave(runner)
    for response in (organiser_client.get(remove_url(run, place)),
                     organiser_client.post(remove_url(run, place), {})):
        assert response.status_code == 404
        assert "This runner is no longer on the run" in text(response)
    assert not mail.outbox


def test_a_participation_of_another_run_is_not_found(organiser_client, organiser, run,
                                                     runner):
    other = make_run(organiser, title="Another")
    other.join(runner)
    response = organiser_client.post(remove_url(run, place_of(other, runner)), {})
    assert response.status_code == 404
    assert other.participations.filter(runner=runner).exists()


def test_removing_twice_removes_once(organiser_client, run, runner):
    run.join(runner)
    place = place_of(run, runner)
    organiser_client.post(remove_url(run, place), {})
    assert organiser_client.post(remove_url(run, place), {}).status_code == 404
    assert len(mail.outbox) == 1


def test_a_started_or_cancelled_run_keeps_its_runners(organiser_client, organiser, run,
                                                      runner):
    started = make_run(organiser, days=-1)
    place = Participation.objects.create(run=started, runner=runner, status="going")
    for response in (organiser_client.get(remove_url(started, place)),
                     organiser_client.post(remove_url(started, place), {})):
        assert response.status_code == 409
        assert "This run has started, so its runners can no longer be removed." in \
            text(response)
    run.join(runner)
    run.cancel()
    response = organiser_client.post(remove_url(run, place_of(run, runner)), {})
    assert response.status_code == 409
    assert "This run is cancelled" in text(response)
    assert run.participations.filter(runner=runner).exists()
    page = text(organiser_client.get(f"/runs/{run.pk}/runners/"))
    assert "can no longer be removed" in page
    assert "/remove/" not in page


def test_a_bad_reason_is_refused_with_a_message(organiser_client, run, runner):
    run.join(runner)
    url = remove_url(run, place_of(run, runner))
    response = organiser_client.post(url, {"reason": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in text(response)
    response = organiser_client.post(url, {"reason": "Rude\nBcc: x@example.com"})
    assert response.status_code == 400
    assert "Use one line" in text(response)
    assert run.participations.filter(runner=runner).exists()
    assert not mail.outbox


def test_only_organisers_reach_the_runners_and_the_removal(client, outsider, run, runner):
    run.join(runner)
    place = place_of(run, runner)
    for person in (outsider, runner):
        client.force_login(person)
        assert client.get(f"/runs/{run.pk}/runners/").status_code == 403
        assert client.get(remove_url(run, place)).status_code == 403
        assert client.post(remove_url(run, place), {}).status_code == 403
    assert run.participations.filter(runner=runner).exists()


def test_signed_out_visitors_are_sent_to_log_in(client, run, runner):
    run.join(runner)
    for response in (client.get(f"/runs/{run.pk}/runners/"),
                     client.post(remove_url(run, place_of(run, runner)), {})):
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert run.participations.filter(runner=runner).exists()


def test_removing_needs_the_csrf_token(organiser, run, runner):
    run.join(runner)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(organiser)
    assert browser.post(remove_url(run, place_of(run, runner)), {}).status_code == 403
    assert run.participations.filter(runner=runner).exists()


def test_a_club_co_organiser_removes_a_runner(client, organiser, runner):
    co = make_user("co@example.com", "Dora")
    club = make_club(organiser, co_organisers=[co])
    run = make_club_run(club, organiser)
    run.join(runner)
    client.force_login(co)
    assert client.get(f"/runs/{run.pk}/runners/").status_code == 200
    assert client.post(remove_url(run, place_of(run, runner)), {}).status_code == 302
    assert not run.participations.exists()


def test_the_run_page_links_manage_runners_for_organisers_only(organiser_client, client,
                                                               outsider, run):
    assert "Manage runners" in text(organiser_client.get(f"/runs/{run.pk}/"))
    client.force_login(outsider)
    assert "Manage runners" not in text(client.get(f"/runs/{run.pk}/"))
