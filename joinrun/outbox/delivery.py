"""Queueing emails and handing them to the mail server, one row at a time.

``queue()`` is called inside the transaction of the change that causes the email: the row
and its task are written with the change or not at all. The worker calls ``deliver()``:
claim the row, send it, then record what happened. A mail server that is down or says
"try later" (SMTP 4xx) gets the email again after growing pauses for a day; one that
refuses the address for good (SMTP 5xx) is not asked again.
"""

import logging
import os
import smtplib
import socket
from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.utils import timezone

from .models import Email

logger = logging.getLogger(__name__)

# Pauses before the 2nd, 3rd, … try; the last one repeats until RETRY_FOR has passed.
RETRY_PAUSES = [timedelta(minutes=m) for m in (1, 5, 15, 60)]
RETRY_FOR = timedelta(hours=25)  # "at least a day", whatever the last pause
KEEP_SENT = timedelta(days=7)
KEEP_FAILED = timedelta(days=30)


class Refused(Exception):
    """The mail server refused this address or message for good (SMTP 5xx)."""


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_seconds():
    # Longer than one send can take: connect, greet, TLS, log in, sender, recipient,
    # data, quit, each waiting at most EMAIL_TIMEOUT.
    return max(60, 10 * settings.EMAIL_TIMEOUT)


def queue(*, kind, to, subject, body, language, user=None, headers=None):
    """Writes one email and its task, in the caller's transaction. Returns the row."""
    email = Email(kind=kind, to=to, user=user, language=language, subject=subject,
                  body=body, headers=headers or {})
    return queue_all([email])[0]


def queue_all(emails):
    """Writes ``emails`` (unsaved ``Email`` rows) and a task for each, in the caller's
    transaction (or in one of their own): all of them, or none."""
    from .tasks import deliver

    for email in emails:
        email.headers.setdefault("Message-ID", message_id())
    with transaction.atomic(savepoint=False):
        emails = Email.objects.bulk_create(emails)
        for email in emails:
            deliver.enqueue(email.pk)
    return emails


def fail_unsendable(*, kind, to, language, user=None, error):
    """Records an email that can never be sent (its address cannot be encoded), so staff
    see it; logged by its id, never its address."""
    now = timezone.now()
    email = Email.objects.create(kind=kind, to=to[:254], user=user, language=language,
                                 status=Email.Status.FAILED, last_error=error,
                                 next_attempt_at=now)
    logger.warning("Email %s (%s) not queued: %s", email.pk, kind, error)
    return email


def claim(email_id, *, now=None):
    """Marks the email as being sent by this worker; None when it is not due (sent,
    failed, claimed by a live worker, or not yet time for its next try)."""
    now = now or timezone.now()
    with transaction.atomic():
        email = Email.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            return None
        due = (
            email.status == Email.Status.QUEUED
            and email.next_attempt_at <= now + timedelta(seconds=1)
        ) or (
            email.status == Email.Status.SENDING and email.claimed_until < now
        )
        if not due:
            return None
        email.status = Email.Status.SENDING
        email.attempts += 1
        email.claimed_until = now + timedelta(seconds=claim_seconds())
        email.claimed_by = worker_name()
        email.save(update_fields=["status", "attempts", "claimed_until", "claimed_by"])
    return email


def message_id():
    """A Message-ID on the site's own domain, fixed when the email is queued, so a copy
    sent again after a worker died is the same message to mail programs."""
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")


def message_for(email):
    """The email as the mail server will get it; raises if it cannot be built (an
    address that cannot be encoded, a header that breaks the format)."""
    headers = {
        "Auto-Submitted": "auto-generated",
        "Content-Language": email.language,
        "Message-ID": message_id(),
        **email.headers,
    }
    message = EmailMessage(email.subject, email.body, settings.DEFAULT_FROM_EMAIL,
                           [email.to], headers=headers)
    sanitize_address(email.to, message.encoding or settings.DEFAULT_CHARSET)
    message.message()  # builds the MIME text: a broken header raises here, not later
    return message


def send(message):
    """Hands one message to the mail server. Raises Refused for a permanent refusal of
    the address or message; any other exception means "try again later" (the server
    is down or busy, or its settings are wrong and staff will fix them)."""
    try:
        with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
            connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise Refused(f"SMTP {codes[0]}") from error
        raise
    except smtplib.SMTPDataError as error:
        if error.smtp_code >= 500:
            raise Refused(f"SMTP {error.smtp_code}") from error
        raise


def deliver(email_id, *, now=None):
    """The worker's job for one email: claim it, send it, record the outcome."""
    email = claim(email_id, now=now)
    if email is None:
        return "skipped"
    try:
        message = message_for(email)
    except Exception as error:
        # This message cannot be built, and it never will be.
        return _failed(email, type(error).__name__)
    try:
        send(message)
    except Refused as refusal:
        return _failed(email, str(refusal))
    except Exception as error:
        return _retry_later(email, _error_name(error), now=now)
    _finish(email, status=Email.Status.SENT, sent_at=now or timezone.now(), last_error="",
            to="", subject="", body="", headers={})
    return "sent"


def _finish(email, **fields):
    """Records the outcome of this worker's try, unless another worker took the email
    over meanwhile (our claim ran out): then the outcome is that worker's to record."""
    Email.objects.filter(pk=email.pk, claimed_by=email.claimed_by).update(
        claimed_until=None, **fields)


def _error_name(error):
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__} {code}" if code else type(error).__name__


def _failed(email, error):
    logger.warning("Email %s (%s) failed for good: %s", email.pk, email.kind, error)
    _finish(email, status=Email.Status.FAILED, last_error=error[:100])
    return "failed"


def next_pause(attempts):
    return RETRY_PAUSES[min(attempts, len(RETRY_PAUSES)) - 1]


def _retry_later(email, error, *, now=None):
    from .tasks import deliver as deliver_task

    now = now or timezone.now()
    next_try = now + next_pause(email.attempts)
    if next_try - email.created_at > RETRY_FOR:
        return _failed(email, error)
    logger.warning("Email %s (%s) not sent (%s); trying again at %s", email.pk, email.kind,
                   error, next_try.isoformat(timespec="seconds"))
    with transaction.atomic():
        still_ours = Email.objects.filter(pk=email.pk, claimed_by=email.claimed_by).update(
            status=Email.Status.QUEUED, next_attempt_at=next_try, claimed_until=None,
            last_error=error[:100],
        )
        if still_ours:
            deliver_task.using(run_after=next_try).enqueue(email.pk)
    return "retry"


def try_again_now(emails, *, now=None):
    """Staff's "Try again now": queued and failed emails get a try at once."""
    from .tasks import deliver as deliver_task

    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        for email in emails.select_for_update().filter(
            status__in=[Email.Status.QUEUED, Email.Status.FAILED]
        ).exclude(subject="", body=""):
            Email.objects.filter(pk=email.pk).update(status=Email.Status.QUEUED,
                                                     next_attempt_at=now)
            deliver_task.enqueue(email.pk)
            count += 1
    return count


def _is_dead(claimed_by):
    """True when ``claimed_by`` names a process on this machine that no longer runs."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def requeue_stalled(*, now=None):
    """Gives a new task to emails whose worker died while sending them (claim ran out,
    or its process on this machine is gone) and to queued ones whose task was lost.
    A worker killed mid-send may have handed its email over already: that one may
    arrive twice, which beats never. Returns how many were requeued."""
    from .tasks import deliver as deliver_task

    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        sending = Email.objects.select_for_update().filter(status=Email.Status.SENDING)
        for email in sending:
            if email.claimed_until < now or _is_dead(email.claimed_by):
                Email.objects.filter(pk=email.pk).update(
                    status=Email.Status.QUEUED, next_attempt_at=now, claimed_until=None)
                deliver_task.enqueue(email.pk)
                count += 1
        # A queued email that is due and that no task waits to send has lost its task:
        # a worker died between taking the task and claiming the row.
        waiting = _waited_for()
        due = Email.objects.filter(status=Email.Status.QUEUED, next_attempt_at__lte=now)
        for email_id in due.values_list("pk", flat=True):
            if email_id not in waiting:
                deliver_task.enqueue(email_id)
                count += 1
    if count:
        logger.warning("Requeued %s email(s) left behind by a stopped worker", count)
    return count


def _waited_for():
    """Ids of the emails a task waits to deliver (run at once or later)."""
    from django_tasks_db.models import DBTaskResult

    from .tasks import deliver as deliver_task

    waiting = DBTaskResult.objects.filter(status="READY", task_path=deliver_task.module_path)
    return {job["args"][0] for job in waiting.values_list("args_kwargs", flat=True)
            if job.get("args")}


def purge(*, now=None):
    """Sent emails leave after 7 days, failed ones after 30. Returns how many."""
    now = now or timezone.now()
    sent = Email.objects.filter(status=Email.Status.SENT, created_at__lt=now - KEEP_SENT)
    failed = Email.objects.filter(status=Email.Status.FAILED,
                                  created_at__lt=now - KEEP_FAILED)
    return sent.delete()[0] + failed.delete()[0]
