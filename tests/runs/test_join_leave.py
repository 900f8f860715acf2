"""The "Join run" and "Leave run" buttons."""

from html import unescape

from django.core import mail
from django.test import Client

from runs.models import Participation
from tests.runs.conftest import make_run, make_runners


def join_url(run):
    return f"/runs/{run.pk}/join/"


def test_anonymous_visitor_is_sent_to_log_in_and_back(client, run):
    response = client.post(join_url(run))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/runs/{run.pk}/"
    assert not run.participations.exists()


def test_run_page_offers_anonymous_visitors_a_login_link_not_a_form(client, run):
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert f'href="/accounts/login/?next=/runs/{run.pk}/"' in page
    assert "csrfmiddlewaretoken" not in page


def test_joining_says_you_are_going(runner_client, run):
    response = runner_client.post(join_url(run), follow=True)
    page = unescape(response.content.decode())
    assert response.redirect_chain == [(f"/runs/{run.pk}/", 302)]
    assert "You're going. See you there!" in page
    assert "Leave run" in page


def test_joining_a_full_run_says_your_place_on_the_waitlist(client, run):
    for person in make_runners(2):
        run.join(person)
    (late,) = make_runners(1, prefix="late")
    client.force_login(late)
    page = unescape(client.post(join_url(run), follow=True).content.decode())
    assert "you're #1 on the waitlist" in page
    assert "You're #1 on the waitlist" in page


def test_full_run_offers_to_join_the_waitlist(runner_client, run):
    for person in make_runners(2):
        run.join(person)
    assert "Join the waitlist" in runner_client.get(f"/runs/{run.pk}/").content.decode()


def test_leaving_promotes_and_emails_the_next_runner(client, run):
    first, second, waiting = make_runners(3)
    for person in (first, second, waiting):
        run.join(person)
    client.force_login(first)
    page = client.post(f"/runs/{run.pk}/leave/", {"confirm": "yes"},
                       follow=True).content.decode()
    assert "You left the run." in page
    assert run.participations.get(runner=waiting).is_going
    (email,) = mail.outbox
    assert email.to == [waiting.email]
    assert email.subject == "You're going: Tuesday river loop"
    assert f"http://127.0.0.1:8000/runs/{run.pk}/" in email.body


def test_leaving_the_waitlist_emails_nobody(client, run):
    people = make_runners(3)
    for person in people:
        run.join(person)
    client.force_login(people[2])
    client.post(f"/runs/{run.pk}/leave/")
    assert not mail.outbox
    assert run.participations.count() == 2


def test_joining_a_cancelled_run_is_refused_with_a_message(runner_client, run):
    run.cancel()
    response = runner_client.post(join_url(run))
    assert response.status_code == 409
    assert "This run has been cancelled." in response.content.decode()
    assert not run.participations.exists()


def test_joining_a_started_run_is_refused_with_a_message(runner_client, organiser):
    run = make_run(organiser, days=-1)
    response = runner_client.post(join_url(run))
    assert response.status_code == 409
    assert "This run has already started." in response.content.decode()


def test_join_and_leave_are_post_only(runner_client, run):
    assert runner_client.get(join_url(run)).status_code == 405
    assert runner_client.get(f"/runs/{run.pk}/leave/").status_code == 405
    assert not run.participations.exists()


def test_joining_needs_the_csrf_token(runner, run):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(runner)
    assert browser.post(join_url(run)).status_code == 403
    assert not Participation.objects.exists()


def test_joining_a_missing_run_is_404(runner_client):
    assert runner_client.post("/runs/999999/join/").status_code == 404
