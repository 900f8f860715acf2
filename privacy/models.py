"""Data requests (GDPR and CCPA) as tickets, and their append-only history.

A ticket holds only what answering needs. Its contact details are purged 24 months after it
is closed (``privacy_housekeeping``); the row stays as the record the law asks us to keep.
"""

import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import deadlines


class Kind(models.TextChoices):
    ACCESS = "access", _("Access: a copy of my data (GDPR)")
    RECTIFICATION = "rectification", _("Rectification: correct my data (GDPR)")
    ERASURE = "erasure", _("Erasure: delete my data (GDPR)")
    RESTRICTION = "restriction", _("Restriction: stop using my data for now (GDPR)")
    OBJECTION = "objection", _("Objection: stop a use of my data (GDPR)")
    PORTABILITY = "portability", _("Portability: my data to take elsewhere (GDPR)")
    CCPA_KNOW = "ccpa_know", _("Know what you hold about me (CCPA)")
    CCPA_DELETE = "ccpa_delete", _("Delete my data (CCPA)")
    CCPA_CORRECT = "ccpa_correct", _("Correct my data (CCPA)")
    CCPA_OPT_OUT = "ccpa_opt_out", _("Do not sell or share my data (CCPA)")


CCPA_KINDS = {Kind.CCPA_KNOW, Kind.CCPA_DELETE, Kind.CCPA_CORRECT, Kind.CCPA_OPT_OUT}


class Regime(models.TextChoices):
    GDPR = "gdpr", "GDPR"
    CCPA = "ccpa", "CCPA"


class Channel(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    ACCOUNT = "account", _("Signed-in account")
    EMAIL = "email", _("Email")
    POST = "post", _("Post")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_REQUESTER = "awaiting_requester", _("Awaiting your reply")
    COMPLETED = "completed", _("Completed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED_UNVERIFIED = "closed_unverified", _("Closed: not verified")


OPEN_STATUSES = {Status.RECEIVED, Status.AWAITING_VERIFICATION, Status.IN_PROGRESS,
                 Status.AWAITING_REQUESTER}
# Which status may follow which. Staff fix mistakes by reopening (in progress).
TRANSITIONS = {
    Status.RECEIVED: {Status.AWAITING_VERIFICATION, Status.IN_PROGRESS, Status.COMPLETED,
                      Status.REFUSED, Status.WITHDRAWN},
    Status.AWAITING_VERIFICATION: {Status.IN_PROGRESS, Status.CLOSED_UNVERIFIED,
                                   Status.REFUSED, Status.WITHDRAWN},
    Status.IN_PROGRESS: {Status.AWAITING_REQUESTER, Status.COMPLETED, Status.REFUSED,
                         Status.WITHDRAWN},
    Status.AWAITING_REQUESTER: {Status.IN_PROGRESS, Status.COMPLETED, Status.REFUSED,
                                Status.WITHDRAWN, Status.CLOSED_UNVERIFIED},
    Status.COMPLETED: set(),
    Status.REFUSED: set(),
    Status.WITHDRAWN: set(),
    Status.CLOSED_UNVERIFIED: set(),
}


class Verification(models.TextChoices):
    SESSION = "session", _("Signed in when asking")
    EMAIL_LINK = "email_link", _("Link sent to the email")
    STAFF = "staff", _("Checked by staff")
    NOT_NEEDED = "not_needed", _("Not needed (opt-out)")


class RefusalBasis(models.TextChoices):
    UNFOUNDED = "manifestly_unfounded", _("Manifestly unfounded")
    EXCESSIVE = "excessive", _("Excessive (for example repetitive)")
    IDENTITY = "identity_not_confirmed", _("Identity could not be confirmed")
    EXCEPTION = "legal_exception", _("A legal exception applies (GDPR Art. 17(3), CCPA)")
    NO_DATA = "no_data", _("We hold no data about the requester")
    TWICE = "twice_in_12_months", _("Already answered twice in 12 months (CCPA)")
    OTHER = "other", _("Other")


class InvalidTransition(Exception):
    """A status change the workflow does not allow; str() says which."""


def _new_reference(received_on):
    """JR-2026-0042: the year of receipt in the site's zone and the next number that year."""
    prefix = f"JR-{received_on.year}-"
    numbers = DataRequest.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True)
    # Longest first, then highest: "JR-2026-10000" comes after "JR-2026-9999".
    last = numbers.order_by(Length("reference").desc(), "-reference").first()
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


class DataRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def due_by(self, day):
        """Open tickets whose (extended) due date is ``day`` or earlier."""
        return self.open().filter(
            models.Q(extended_until__isnull=True, due_on__lte=day)
            | models.Q(extended_until__lte=day)
        )


class DataRequest(models.Model):
    reference = models.CharField(_("Reference"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("Right"), max_length=20, choices=Kind.choices)
    regime = models.CharField(_("Law"), max_length=4, choices=Regime.choices, editable=False)
    # The account asked about; kept null once the account is erased.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="data_requests")
    # Where the answer goes. Emptied 24 months after the ticket closes.
    contact_email = models.EmailField(_("Contact email"), blank=True)
    details = models.TextField(_("Details"), max_length=4000, blank=True)
    channel = models.CharField(_("Channel"), max_length=10, choices=Channel.choices,
                               default=Channel.WEB_FORM)
    status = models.CharField(_("Status"), max_length=25, choices=Status.choices,
                              default=Status.RECEIVED, editable=False)
    # Staff may enter the day a letter or email arrived: the clocks start then.
    received_at = models.DateTimeField(_("Received"), default=timezone.now)
    verified_at = models.DateTimeField(_("Verified"), null=True, blank=True, editable=False)
    verification = models.CharField(_("Verified by"), max_length=12, blank=True,
                                    choices=Verification.choices, editable=False)
    # When the linked account's address is not the verified contact, how staff made sure
    # the requester is the account holder (nothing is done to the account until then).
    identity_check = models.TextField(
        _("How staff checked the identity"), max_length=1000, blank=True,
        help_text=_("Needed when the linked account's email is not the address this request "
                    "verified: how you made sure the requester holds the account (for "
                    "example, a reply from the account's address). Cannot be changed once "
                    "saved."))
    target_on = models.DateField(_("Our target"), editable=False)
    due_on = models.DateField(_("Legal due date"), editable=False)
    extended_until = models.DateField(_("Extended until"), null=True, blank=True,
                                      editable=False)
    extension_reason = models.TextField(_("Reason for the extension"), blank=True,
                                        editable=False)
    extension_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 limit_choices_to={"is_staff": True},
                                 verbose_name=_("Assignee"))
    outcome = models.TextField(_("Reply to the requester"), blank=True, editable=False)
    refusal_basis = models.CharField(_("Refusal basis"), max_length=25, blank=True,
                                     choices=RefusalBasis.choices, editable=False)
    refusal_explanation = models.TextField(_("Refusal explanation"), blank=True,
                                           editable=False)
    response_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The export built for an access or portability request: a file outside the web root,
    # downloadable with the ticket's link until it expires (7 days), then deleted.
    export_file = models.CharField(max_length=200, blank=True, editable=False)
    export_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    pii_purged_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Random, and only in the links we email: the status page cannot be guessed from the
    # reference.
    link_key = models.CharField(max_length=43, editable=False, default="")

    objects = DataRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["due_on", "received_at"]
        indexes = [
            # The admin's overdue-first list and the housekeeping reminders.
            models.Index(fields=["status", "due_on"], name="datarequest_status_due"),
        ]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        if not self.pk:
            self._fill_in_new()
            # Two tickets at once may pick the same number: the unique index refuses one,
            # and it tries the next.
            for attempt in range(5):
                try:
                    with transaction.atomic():
                        self.reference = _new_reference(timezone.localdate(self.received_at))
                        return super().save(*args, **kwargs)
                except IntegrityError:
                    if attempt == 4:
                        raise
        return super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("privacy:request_status", args=[self.reference]) + f"?key={self.link_key}"

    def _fill_in_new(self):
        self.regime = Regime.CCPA if self.kind in CCPA_KINDS else Regime.GDPR
        self.link_key = self.link_key or secrets.token_urlsafe(32)
        self.recompute_dates()

    def recompute_dates(self):
        received = timezone.localdate(self.received_at)
        self.target_on = deadlines.target(received)
        self.due_on = deadlines.legal_due(received, regime=self.regime,
                                          opt_out=self.kind == Kind.CCPA_OPT_OUT)

    # Reading

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def effective_due_on(self):
        return self.extended_until or self.due_on

    def days_left(self, today=None):
        return (self.effective_due_on - (today or timezone.localdate())).days

    @property
    def needs_verification(self):
        return self.kind != Kind.CCPA_OPT_OUT

    # Changing: each change writes an event, in the same transaction.

    def move_to(self, status, *, actor=None, action="status_changed", message=""):
        if status != self.status and status not in TRANSITIONS[self.status]:
            raise InvalidTransition(
                _("A request that is “%(from)s” cannot become “%(to)s”.")
                % {"from": self.get_status_display(), "to": Status(status).label}
            )
        before = self.status
        self.status = status
        if status not in OPEN_STATUSES and not self.closed_at:
            self.closed_at = timezone.now()
        self.save()
        self.log(action, actor=actor, from_status=before, to_status=status, message=message)

    def log(self, action, *, actor=None, by_requester=False, from_status="", to_status="",
            message=""):
        """``actor``: the account that acted, "requester" or None (the system);
        ``by_requester`` when that account is the requester's own, signed in."""
        return DataRequestEvent.objects.create(
            request=self, action=action, actor=actor if hasattr(actor, "pk") else None,
            actor_label="requester" if by_requester else _actor_label(actor),
            from_status=from_status,
            to_status=to_status or self.status, message=message[:500],
        )


def _actor_label(actor):
    if actor is None:
        return "system"
    if actor == "requester":
        return "requester"
    return "staff"


ACTION_LABELS = {
    "received": _("Request received"),
    "verified": _("Verified"),
    "status_changed": _("Status changed"),
    "export_built": _("Data export sent"),
    "account_erased": _("Account erased"),
    "processing_restricted": _("Processing restricted"),
    "restriction_lifted": _("Restriction lifted"),
    "objection_recorded": _("Objection recorded"),
    "extended": _("Deadline extended"),
    "refused": _("Refused"),
    "completed": _("Completed"),
    "reminder_sent": _("Reminder sent to staff"),
    "contact_details_purged": _("Contact details purged"),
    "closed_unverified": _("Closed: never confirmed"),
    "export_deleted": _("Export file deleted"),
    "identity_checked": _("Identity checked by staff"),
}


class DataRequestEvent(models.Model):
    """One step in a ticket's life. Append-only: the admin shows it read-only; messages
    name no person (who acted is the actor link, which erasure sets to null)."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("When"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("Staff member"))
    actor_label = models.CharField(_("Who"), max_length=10)  # staff, requester or system
    action = models.CharField(_("What"), max_length=40)
    from_status = models.CharField(_("From"), max_length=25, blank=True)
    to_status = models.CharField(_("To"), max_length=25, blank=True)
    message = models.CharField(_("Note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.request} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("Data request events are append-only.")
        super().save(*args, **kwargs)

    @property
    def action_label(self):
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def to_status_label(self):
        return Status(self.to_status).label if self.to_status in Status.values else ""

