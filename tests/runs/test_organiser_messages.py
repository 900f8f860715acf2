"""The organiser writes to a run's runners from the run page: one email each, nobody sees
another's address, five a day at most, and the text is not kept once sent."""

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from joinrun.outbox.models import Email
from runs.models import Run
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners

TEXT = "Bring a head torch: the park lights are off tonight."


def send(client, run, text=TEXT, audience="going"):
    return client.post(f"/runs/{run.pk}/message/", {"audience": audience, "text": text})


def page(response):
    return response.content.decode()


@pytest.fixture
def full_run(organiser):
    """Two going, one waiting."""
    run = make_run(organiser, capacity=2)
    for person in make_runners(3):
        run.join(person)
    return run


def test_each_runner_going_gets_their_own_email_from_the_organiser(organiser_client,
                                                                 full_run):
    response = send(organiser_client, full_run)
    assert response.status_code == 302 and response["Location"] == f"/runs/{full_run.pk}/"
    assert sorted(m.to for m in mail.outbox) == [["r0@example.com"], ["r1@example.com"]]
    for email in mail.outbox:
        assert email.subject == "Bojan about “Tuesday river loop”"
        assert "Bojan, the organiser of “Tuesday river loop”, wrote to the runners:" in email.body
        assert TEXT in email.body
        assert f"{settings.SITE_URL}/runs/{full_run.pk}/" in email.body
        assert email.cc == [] and email.bcc == []
        everything = email.body + email.subject + str(email.extra_headers)
        assert "@example.com" not in everything  # neither another runner's nor the organiser's
    followed = organiser_client.get(response["Location"])
    assert "2 runners were emailed." in page(followed)


def test_going_and_waiting_reaches_the_waitlist_too(organiser_client, full_run):
    send(organiser_client, full_run, audience="going_and_waiting")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "r0@example.com", "r1@example.com", "r2@example.com"]


def test_the_message_carries_one_click_unsubscribe_from_organiser_messages(
    organiser_client, full_run
):
    send(organiser_client, full_run)
    email = mail.outbox[0]
    link = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{settings.SITE_URL}/accounts/unsubscribe/?token=")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in email.body
    Client().post(link.removeprefix(settings.SITE_URL), {"List-Unsubscribe": "One-Click"})
    person = Run.objects.get(pk=full_run.pk).participations.get(
        runner__email=email.to[0]).runner
    assert person.organiser_emails is False and person.reminder_emails is True


def test_runners_who_turned_messages_off_are_skipped_and_counted(organiser_client, organiser,
                                                                 runner):
    run = make_run(organiser)
    run.join(runner)
    run.join(make_user("quiet@example.com", "Quiet", organiser_emails=False))
    response = send(organiser_client, run)
    assert [m.to for m in mail.outbox] == [[runner.email]]
    text = page(organiser_client.get(response["Location"]))
    assert "1 runner was emailed." in text
    assert "1 runner can&#x27;t get messages from organisers" in text


@pytest.mark.parametrize(("audience", "said"), [
    ("going", "Nobody is going, so nobody was emailed."),
    ("going_and_waiting", "Nobody is going or waiting, so nobody was emailed."),
])
def test_a_run_nobody_joined_emails_nobody_and_says_so(organiser_client, run, audience, said):
    response = send(organiser_client, run, audience=audience)
    assert mail.outbox == []
    assert said in page(organiser_client.get(response["Location"]))


@pytest.mark.parametrize(("text", "message"), [
    ("", "Write the message you want to send."),
    ("   \r\n  ", "Write the message you want to send."),
    ("x" * 2001, "Keep the message to 2,000 characters: it has 2001."),
])
def test_an_empty_or_too_long_message_is_refused_next_to_the_field(organiser_client,
                                                                   full_run, text, message):
    response = send(organiser_client, full_run, text=text)
    assert response.status_code == 400
    assert 'id="id_text_error"' in page(response) and message in page(response)
    assert mail.outbox == []


def test_two_thousand_characters_with_line_breaks_as_a_browser_sends_them_are_fine(
    organiser_client, full_run
):
    text = "\r\n".join(["x" * 99] * 20)  # 1,999 characters once line breaks are one each
    assert send(organiser_client, full_run, text=text).status_code == 302
    assert "\n".join(["x" * 99] * 20) in mail.outbox[0].body


def test_only_the_organiser_may_message_the_runners(client, full_run, runner, outsider):
    assert send(client, full_run).status_code == 302  # to the login page
    assert "/accounts/login/" in send(client, full_run)["Location"]
    full_run.join(runner)
    for person in (runner, outsider):
        client.force_login(person)
        assert client.get(f"/runs/{full_run.pk}/message/").status_code == 403
        assert send(client, full_run).status_code == 403
    assert mail.outbox == []


def test_a_run_that_is_gone_is_404(organiser_client):
    assert send(organiser_client, Run(pk=999)).status_code == 404


def test_cancelled_and_started_runs_cannot_be_messaged(organiser_client, organiser, full_run):
    full_run.cancel()
    response = send(organiser_client, full_run)
    assert response.status_code == 409
    assert "This run is cancelled, so its runners can no longer be messaged." in page(response)
    started = make_run(organiser, days=-1)
    response = send(organiser_client, started)
    assert response.status_code == 409
    assert "This run has started, so its runners can no longer be messaged." in page(response)
    assert mail.outbox == []


def test_at_most_five_messages_per_run_a_day(organiser_client, organiser, full_run):
    for _ in range(5):
        assert send(organiser_client, full_run).status_code == 302
    mail.outbox.clear()
    response = send(organiser_client, full_run)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 23 * 60 * 60
    assert "You have sent the most messages a run may get in a day." in page(response)
    assert mail.outbox == []
    other = make_run(organiser)
    other.join(make_user("other@example.com", "Other"))
    assert send(organiser_client, other).status_code == 302  # the limit is per run


def test_the_text_is_not_kept_once_sent_nor_logged(organiser_client, full_run, caplog):
    with caplog.at_level(logging.DEBUG):
        send(organiser_client, full_run)
    assert len(mail.outbox) == 2
    assert not Email.objects.filter(body__contains="head torch").exists()
    assert Email.objects.filter(kind="organiser_message", status="sent").count() == 2
    assert "head torch" not in caplog.text


def test_the_form_page_is_the_organisers_and_posting_needs_the_csrf_token(organiser,
                                                                        full_run):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    form = client.get(f"/runs/{full_run.pk}/message/")
    assert form.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page(form) and "Runners going and on the waitlist" \
        in page(form)
    assert send(client, full_run).status_code == 403
    assert mail.outbox == []


def test_the_run_page_links_the_organiser_to_the_message_form(organiser_client, full_run,
                                                              runner):
    link = f'href="/runs/{full_run.pk}/message/"'
    assert link in page(organiser_client.get(f"/runs/{full_run.pk}/"))
    full_run.join(runner)
    runner_client = Client()
    runner_client.force_login(runner)
    assert link not in page(runner_client.get(f"/runs/{full_run.pk}/"))
    full_run.starts_at -= timedelta(days=10)
    full_run.save()
    assert link not in page(organiser_client.get(f"/runs/{full_run.pk}/"))
