"""Cancelling asks first: the first POST answers with a page saying what will happen, and
only its "Yes, cancel" (confirm=yes) cancels."""

import uuid
from datetime import timedelta

from django.core import mail
from django.test import Client

from runs.models import Run
from tests.clubs.conftest import make_club, make_club_run, text
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners


def make_series(organiser, weeks=4, **fields):
    series = uuid.uuid4()
    first = make_run(organiser, series=series, **fields)
    return [first] + [
        make_run(organiser, series=series, starts_at=first.starts_at + timedelta(weeks=week),
                 **fields)
        for week in range(1, weeks)
    ]


def is_cancelled(run):
    return Run.objects.get(pk=run.pk).is_cancelled


def test_the_first_post_asks_and_changes_nothing(organiser_client, run):
    for person in make_runners(3):
        run.join(person)
    response = organiser_client.post(f"/runs/{run.pk}/cancel/", {"reason": "Storm warning"})
    assert response.status_code == 200
    page = text(response)
    assert "Cancel “Tuesday river loop”?" in page
    assert "3 runners will be emailed." in page
    assert "“Storm warning”" in page
    assert "Yes, cancel" in page and "No, keep it" in page
    assert 'name="confirm" value="yes"' in page
    assert 'name="reason" value="Storm warning"' in page
    assert not is_cancelled(run)
    assert not mail.outbox


def test_confirming_cancels_and_emails_as_before(organiser_client, run):
    people = make_runners(2)
    for person in people:
        run.join(person)
    response = organiser_client.post(f"/runs/{run.pk}/cancel/",
                                     {"reason": "Storm warning", "confirm": "yes"}, follow=True)
    assert "The run is cancelled. 2 runners were emailed." in text(response)
    run.refresh_from_db()
    assert run.is_cancelled and run.cancel_reason == "Storm warning"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_only_confirm_yes_confirms(organiser_client, run):
    response = organiser_client.post(f"/runs/{run.pk}/cancel/", {"confirm": "on"})
    assert response.status_code == 200
    assert not is_cancelled(run)


def test_the_count_is_of_runners_who_can_be_emailed(organiser_client, run):
    run.join(make_user("yes@example.com", "Yes"))
    run.join(make_user("not-yet@example.com", "Not yet", email_confirmed_at=None))
    page = text(organiser_client.post(f"/runs/{run.pk}/cancel/", {}))
    assert "1 runner will be emailed." in page


def test_a_run_nobody_joined_says_nobody_will_be_emailed(organiser_client, run):
    page = text(organiser_client.post(f"/runs/{run.pk}/cancel/", {}))
    assert "nobody will be emailed" in page
    assert "No reason is given." in page


def test_this_date_only_of_a_series_names_the_date_and_keeps_the_others(organiser_client,
                                                                        organiser):
    runs = make_series(organiser)
    page = text(organiser_client.post(f"/runs/{runs[1].pk}/cancel/", {"scope": "this"}))
    assert "This date will be cancelled:" in page
    assert "the other dates of the series stay on" in page
    organiser_client.post(f"/runs/{runs[1].pk}/cancel/", {"scope": "this", "confirm": "yes"})
    assert [is_cancelled(run) for run in runs] == [False, True, False, False]


def test_this_and_later_dates_counts_dates_and_each_runner_once(organiser_client, organiser):
    runs = make_series(organiser)
    ana, bor = make_runners(2)
    for each in runs:
        each.join(ana)
    runs[3].join(bor)
    runs[2].cancel()  # already cancelled: not counted again
    page = text(organiser_client.post(f"/runs/{runs[1].pk}/cancel/", {"scope": "later"}))
    assert "This date and the later dates of the series will be cancelled, 2 dates:" in page
    assert "2 runners will be emailed." in page
    assert page.count("<li><time") == 2
    assert 'name="scope" value="later"' in page
    assert not mail.outbox

    response = organiser_client.post(f"/runs/{runs[1].pk}/cancel/",
                                     {"scope": "later", "confirm": "yes"}, follow=True)
    assert "2 runs are cancelled. 2 runners were emailed." in text(response)
    assert [is_cancelled(run) for run in runs] == [False, True, True, True]
    assert sorted(m.to[0] for m in mail.outbox) == [ana.email, bor.email]  # one each


def test_the_edit_page_offers_the_scope_only_for_a_series(organiser_client, organiser, run):
    lone = text(organiser_client.get(f"/runs/{run.pk}/edit/"))
    assert "This and later dates" not in lone.split('id="cancel-run"')[1]
    series = make_series(organiser, weeks=2)
    page = text(organiser_client.get(f"/runs/{series[0].pk}/edit/"))
    cancel_section = page.split('id="cancel-run"')[1]
    assert 'type="radio" name="scope" value="this"' in cancel_section
    assert 'id="cancel_scope_0"' in cancel_section
    assert 'value="later"' in cancel_section
    assert "This date only" in cancel_section and "This and later dates" in cancel_section
    assert "Reason (optional)" in cancel_section


def test_a_bad_scope_or_reason_is_refused_with_a_message(organiser_client, run):
    response = organiser_client.post(f"/runs/{run.pk}/cancel/", {"scope": "everything"})
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    response = organiser_client.post(f"/runs/{run.pk}/cancel/", {"reason": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in text(response)
    assert not is_cancelled(run)


def test_outsiders_may_not_reach_the_confirmation(client, outsider, run):
    client.force_login(outsider)
    assert client.post(f"/runs/{run.pk}/cancel/", {}).status_code == 403
    assert client.post(f"/runs/{run.pk}/cancel/", {"confirm": "yes"}).status_code == 403
    assert not is_cancelled(run)


def test_signed_out_visitors_are_sent_to_log_in(client, run):
    response = client.post(f"/runs/{run.pk}/cancel/", {"confirm": "yes"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not is_cancelled(run)


def test_a_club_co_organiser_confirms_a_cancel(client, organiser):
    co = make_user("co@example.com", "Dora")
    club = make_club(organiser, co_organisers=[co])
    run = make_club_run(club, organiser)
    run.join(make_user("r@example.com", "R"))
    client.force_login(co)
    assert "1 runner will be emailed." in text(client.post(f"/runs/{run.pk}/cancel/", {}))
    client.post(f"/runs/{run.pk}/cancel/", {"confirm": "yes"})
    assert is_cancelled(run)


def test_a_started_or_cancelled_run_is_refused_at_either_step(organiser_client, organiser,
                                                              run):
    started = make_run(organiser, days=-1)
    response = organiser_client.post(f"/runs/{started.pk}/cancel/", {})
    assert response.status_code == 409
    assert "has started" in text(response)
    run.cancel(reason="First")
    response = organiser_client.post(f"/runs/{run.pk}/cancel/",
                                     {"reason": "Second", "confirm": "yes"})
    assert response.status_code == 409
    run.refresh_from_db()
    assert run.cancel_reason == "First"


def test_the_confirmation_needs_the_csrf_token(organiser, run):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(organiser)
    assert browser.post(f"/runs/{run.pk}/cancel/", {"confirm": "yes"}).status_code == 403
    assert not is_cancelled(run)
