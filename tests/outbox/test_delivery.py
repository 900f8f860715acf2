"""Handing queued emails to a real SMTP server (tests/fakes/smtp.py), one row at a time:
headers, retries with growing pauses, permanent refusals, giving up, recovery of what a
stopped worker left, housekeeping's purge and staff's "Try again now". The clock is
injected (``now``); emails stay queued until the test delivers them."""

import logging
import os
import smtplib
import socket
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from joinrun import mail
from joinrun.outbox import delivery, tasks
from joinrun.outbox.models import Email
from tests.conftest import make_user
from tests.fakes.smtp import silent_server

pytestmark = [pytest.mark.queue_only, pytest.mark.django_db]

ANA = "ana@example.com"
MINUTE = timedelta(minutes=1)


def queue(to=ANA, kind="goodbye", **fields):
    fields.setdefault("subject", "Your join run account is deleted")
    fields.setdefault("body", "Thank you for running with us.")
    return delivery.queue(kind=kind, to=to, language="en", **fields)


def fresh(email):
    return Email.objects.get(pk=email.pk)


def ready_tasks_for(email):
    """The tasks waiting to deliver ``email``, as django_tasks Tasks (``run_after`` is None
    for "at once")."""
    return [result.task for result in DBTaskResult.objects.filter(status="READY")
            if result.args_kwargs["args"] == [email.pk]]


def deliver_everything_queued(now=None):
    for email_id in Email.objects.filter(status="queued").values_list("pk", flat=True):
        delivery.deliver(email_id, now=now)


# What the mail server receives


def test_every_email_says_it_is_automatic_in_which_language_and_from_which_site(
    smtp, settings
):
    settings.SITE_URL = "https://join.run.example"
    mail.send("goodbye", [ANA], {"name": "Ana"}, language="sl")
    deliver_everything_queued()

    (message,) = smtp.messages
    assert message["To"] == ANA
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "sl"
    assert message["Message-ID"].endswith("@join.run.example>")


def test_each_address_gets_its_own_email_and_nobody_sees_another_address(smtp):
    people = [make_user(f"runner{i}@example.com", f"Runner {i}") for i in range(3)]
    mail.send("goodbye", people, {"name": "x"})
    deliver_everything_queued()

    assert sorted(smtp.recipients()) == sorted(p.email for p in people)
    assert all(len(envelope) == 1 for envelope in smtp.envelopes)
    assert len({m["Message-ID"] for m in smtp.messages}) == 3


def test_a_sent_email_keeps_neither_address_nor_text(smtp):
    email = queue(headers={"Message-ID": delivery.message_id()})

    assert delivery.deliver(email.pk) == "sent"

    sent = fresh(email)
    assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 1
    assert (sent.to, sent.subject, sent.body, sent.headers) == ("", "", "", {})
    assert smtp.recipients() == [ANA]


def test_a_second_run_of_the_same_task_sends_nothing_twice(smtp):
    email = queue()

    assert tasks.deliver.call(email.pk) == "sent"
    assert tasks.deliver.call(email.pk) == "skipped"
    assert smtp.recipients() == [ANA]
    assert fresh(email).attempts == 1


# A mail server that is down or says "later"


def test_a_mail_server_that_is_down_gets_the_email_again_after_growing_pauses(smtp_down):
    email = queue()
    now = email.created_at
    pauses = []
    for _ in range(7):
        assert delivery.deliver(email.pk, now=now) == "retry"
        email = fresh(email)
        assert email.status == "queued"
        assert email.last_error == "ConnectionRefusedError"
        # The task that tries again waits for the same moment.
        (retry,) = [t for t in ready_tasks_for(email) if t.run_after is not None]
        assert retry.run_after == email.next_attempt_at
        pauses.append(email.next_attempt_at - now)
        # Nothing happens before its time.
        assert delivery.deliver(email.pk, now=email.next_attempt_at - MINUTE) == "skipped"
        DBTaskResult.objects.filter(run_after=retry.run_after).delete()
        now = email.next_attempt_at

    assert pauses == [m * MINUTE for m in (1, 5, 15, 60, 60, 60, 60)]
    assert email.attempts == 7


def test_an_email_waits_for_a_mail_server_that_comes_back(smtp):
    email = queue()
    smtp.stop()
    assert delivery.deliver(email.pk) == "retry"

    smtp.start()
    assert delivery.deliver(email.pk, now=fresh(email).next_attempt_at) == "sent"
    assert smtp.recipients() == [ANA]
    assert fresh(email).attempts == 2


def test_a_4xx_for_the_address_is_tried_again_later(smtp):
    smtp.answer(ANA, "450 4.2.1 Mailbox busy, try again later")
    email = queue()

    assert delivery.deliver(email.pk, now=email.created_at) == "retry"
    email = fresh(email)
    assert email.status == "queued"
    assert email.next_attempt_at == email.created_at + MINUTE
    assert email.last_error == "SMTPRecipientsRefused"
    assert smtp.messages == []

    smtp.answer(ANA, None)
    assert delivery.deliver(email.pk, now=email.next_attempt_at) == "sent"
    assert smtp.recipients() == [ANA]


def test_a_5xx_for_the_address_fails_it_for_good_without_naming_the_address(smtp, caplog):
    smtp.answer(ANA, f"550 5.1.1 <{ANA}>: no such user")
    email = queue()
    tasks_before = DBTaskResult.objects.count()

    with caplog.at_level(logging.WARNING):
        assert delivery.deliver(email.pk) == "failed"

    email = fresh(email)
    assert email.status == "failed"
    assert email.last_error == "SMTP 550"
    assert ANA not in caplog.text
    assert DBTaskResult.objects.count() == tasks_before  # no retry queued
    assert delivery.deliver(email.pk, now=timezone.now() + timedelta(days=1)) == "skipped"
    assert smtp.messages == []


def test_the_outbox_gives_up_after_a_day_of_retries(smtp_down):
    email = queue()
    now, tries = email.created_at, []
    while (outcome := delivery.deliver(email.pk, now=now)) == "retry":
        tries.append(now)
        now = fresh(email).next_attempt_at
        assert len(tries) < 100
    tries.append(now)

    email = fresh(email)
    assert outcome == "failed" and email.status == "failed"
    assert email.last_error == "ConnectionRefusedError"
    assert timedelta(hours=24) <= tries[-1] - email.created_at <= timedelta(hours=25)
    assert max(b - a for a, b in zip(tries, tries[1:], strict=False)) == 60 * MINUTE


# One email's fault is that email's alone


def test_one_undeliverable_address_never_stops_the_others(smtp, caplog):
    bad = "w@ex\u202eample.com"
    people = [make_user("first@example.com", "First"), make_user(bad, "Bad"),
              make_user("last@example.com", "Last")]

    with caplog.at_level(logging.WARNING):
        mail.send("goodbye", people, {"name": "x"})
        deliver_everything_queued()

    assert sorted(smtp.recipients()) == ["first@example.com", "last@example.com"]
    failed = Email.objects.get(status="failed")
    assert failed.last_error == "InvalidAddress"
    assert bad not in caplog.text


def test_an_email_that_cannot_be_built_fails_alone_when_the_worker_sends_it(smtp, caplog):
    # Queued before addresses were checked: the worker meets it.
    first, bad, last = queue("first@example.com"), queue("a@b\u200e.com"), queue("last@example.com")

    with caplog.at_level(logging.WARNING):
        outcomes = [delivery.deliver(e.pk) for e in (first, bad, last)]

    assert outcomes == ["sent", "failed", "sent"]
    assert fresh(bad).status == "failed" and fresh(bad).last_error
    assert "a@b" not in caplog.text
    assert sorted(smtp.recipients()) == ["first@example.com", "last@example.com"]


def test_a_mail_server_that_never_answers_is_given_up_on_within_EMAIL_TIMEOUT(
    settings, smtp_down
):
    settings.EMAIL_TIMEOUT = 1
    email = queue()
    with silent_server() as port:
        settings.EMAIL_PORT = port
        outcome = []
        sending = threading.Thread(target=lambda: outcome.append(_send_outcome(email)),
                                   daemon=True)
        started = time.monotonic()
        sending.start()
        sending.join(timeout=10)
        assert not sending.is_alive(), "the send hung past EMAIL_TIMEOUT"
        assert time.monotonic() - started < 5
        assert outcome and isinstance(outcome[0], OSError | smtplib.SMTPException)

        assert delivery.deliver(email.pk) == "retry"
    assert fresh(email).status == "queued"


def _send_outcome(email):
    try:
        delivery.send(email)
    except Exception as error:  # the test looks at which
        return error
    return None


# What a stopped worker leaves behind


def test_requeue_stalled_picks_up_an_email_whose_claim_expired(smtp):
    email = queue()
    claimed_at = timezone.now()
    email = delivery.claim(email.pk, now=claimed_at)
    # Another machine's worker: only its claim's expiry tells that it died.
    Email.objects.filter(pk=email.pk).update(claimed_by="elsewhere:4242")
    for task in DBTaskResult.objects.all():
        task.delete()
    claim = timedelta(seconds=delivery.claim_seconds())

    assert delivery.requeue_stalled(now=claimed_at + claim - MINUTE / 2) == 0
    assert fresh(email).status == "sending"
    assert delivery.requeue_stalled(now=claimed_at + claim + timedelta(seconds=1)) == 1

    email = fresh(email)
    assert email.status == "queued"
    assert len(ready_tasks_for(email)) == 1
    assert delivery.deliver(email.pk, now=email.next_attempt_at) == "sent"
    assert smtp.recipients() == [ANA]


def test_requeue_stalled_picks_up_at_once_an_email_claimed_by_a_dead_worker_here(smtp):
    email = queue()
    finished = subprocess.Popen(["true"])
    finished.wait()
    delivery.claim(email.pk)
    Email.objects.filter(pk=email.pk).update(
        claimed_by=f"{socket.gethostname()}:{finished.pid}")

    assert delivery.requeue_stalled() == 1
    assert fresh(email).status == "queued"


def test_requeue_stalled_leaves_an_email_a_live_worker_is_sending(smtp):
    email = queue()
    delivery.claim(email.pk)
    assert fresh(email).claimed_by == f"{socket.gethostname()}:{os.getpid()}"
    Email.objects.filter(pk=email.pk).update(claimed_by=f"{socket.gethostname()}:1")

    assert delivery.requeue_stalled() == 0
    assert fresh(email).status == "sending"


def test_requeue_stalled_gives_a_new_task_to_an_email_whose_worker_died_before_claiming_it(
    smtp
):
    email = queue()
    # The worker took the task (django-tasks-db marks it RUNNING) and was killed.
    DBTaskResult.objects.update(status="RUNNING", worker_ids=["killed"])

    assert delivery.requeue_stalled() == 1
    assert len(ready_tasks_for(email)) == 1
    deliver_everything_queued()
    assert smtp.recipients() == [ANA]


def test_requeue_stalled_gives_no_second_task_to_emails_waiting_in_a_backlog(smtp):
    emails = [queue(f"r{i}@example.com") for i in range(3)]

    assert delivery.requeue_stalled(now=timezone.now() + timedelta(hours=1)) == 0
    assert all(len(ready_tasks_for(email)) == 1 for email in emails)


# Housekeeping and staff


def test_purge_keeps_recent_emails_and_drops_old_ones(db):
    now = timezone.now()

    def row(status, days):
        return Email.objects.create(
            kind="goodbye", language="en", status=status, created_at=now - timedelta(days=days),
            sent_at=now - timedelta(days=days) if status == "sent" else None)

    kept = [row("sent", 6), row("failed", 29), row("queued", 60), row("sending", 60)]
    row("sent", 8), row("failed", 31)

    assert delivery.purge(now=now) == 2
    assert set(Email.objects.values_list("pk", flat=True)) == {e.pk for e in kept}


def test_try_again_now_sends_a_waiting_email_at_once_and_revives_a_failed_one(smtp):
    waiting, failed = queue("waiting@example.com"), queue("failed@example.com")
    later = timezone.now() + timedelta(hours=1)
    Email.objects.filter(pk=waiting.pk).update(next_attempt_at=later, attempts=3)
    Email.objects.filter(pk=failed.pk).update(status="failed", last_error="SMTP 550")
    sent = queue("sent@example.com")
    delivery.deliver(sent.pk)
    DBTaskResult.objects.all().delete()
    now = timezone.now()

    assert delivery.try_again_now(Email.objects.all(), now=now) == 2

    assert {fresh(e).next_attempt_at for e in (waiting, failed)} == {now}
    for email in (waiting, failed):
        (task,) = ready_tasks_for(email)
        assert task.run_after is None
        assert tasks.deliver.call(email.pk) == "sent"
    assert sorted(smtp.recipients()) == ["failed@example.com", "sent@example.com",
                                         "waiting@example.com"]


def test_wrong_mail_settings_are_retried_not_given_up(smtp, settings):
    # A mistake staff will fix (here both TLS and SSL set): the emails wait for it.
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = True
    email = queue()

    assert delivery.deliver(email.pk) == "retry"

    assert fresh(email).status == "queued" and fresh(email).last_error == "ValueError"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    Email.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(email.pk) == "sent"
    assert smtp.recipients() == [ANA]


def test_every_email_has_a_message_id_on_the_site_domain_however_it_was_queued(smtp):
    email = queue()
    assert email.headers["Message-ID"].endswith("@127.0.0.1>")
    delivery.deliver(email.pk)
    (message,) = smtp.messages
    assert message["Message-ID"] == email.headers["Message-ID"]


def test_a_worker_whose_claim_was_taken_over_leaves_the_outcome_to_the_new_one(
    smtp, monkeypatch
):
    email = queue()

    def slow_send(message):
        # Our claim ran out mid-send and another worker took the email over.
        Email.objects.filter(pk=email.pk).update(claimed_by="elsewhere:2")

    monkeypatch.setattr(delivery, "send", slow_send)
    delivery.deliver(email.pk)

    taken = fresh(email)
    assert (taken.status, taken.claimed_by, taken.to) == ("sending", "elsewhere:2", ANA)
