"""The outbox: one row per email to one address, from the change that caused it until
a week after it was handed to the mail server (a month when it failed).

The row is the truth about an email; a django-tasks task (``joinrun.outbox.tasks``) only
says "try this row now". Tasks may run twice or be lost with a killed worker: ``claim``
makes a second run a no-op, and ``requeue_stalled`` gives a lost one a new task.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Email(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Which email this is (its template's name): what staff see instead of the text.
    kind = models.CharField(_("kind"), max_length=40)
    # Personal: the address and the text are needed to send it, and blanked as soon as
    # the mail server has it; the row leaves the queue 7 days after sending (30 after
    # failing): the outbox's register entry (joinrun/outbox/personal_data.py).
    to = models.CharField(_("to"), max_length=254)
    # The account it was written for, so erasing the account removes it; None for
    # addresses without an account (a data request's contact) and for the goodbye.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    language = models.CharField(_("language"), max_length=8)
    subject = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # Extra headers (List-Unsubscribe); Auto-Submitted, Content-Language and Message-ID
    # are added when it is sent.
    headers = models.JSONField(default=dict, blank=True)

    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next try"), default=timezone.now)
    # While a worker sends it: after this, the worker is taken to have died.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # host:pid of the worker that claimed it, so a restarted worker finds what its
    # killed predecessor left half-done without waiting for the claim to run out.
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The error's class (SMTPServerDisconnected, 550 …): never the server's text, which
    # can quote the address.
    last_error = models.CharField(_("last error"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing email")
        # Sending again is more than looking: staff who may only view cannot.
        permissions = [("retry_email", "Can try sending an email again")]
        ordering = ["-created_at", "-pk"]
        indexes = [
            # requeue_stalled() and the admin's status filter.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next"),
            # Housekeeping: sent and failed ones by age.
            models.Index(fields=["status", "created_at"], name="outbox_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk}"
