"""The work on a data request: each step changes the ticket, writes its event and sends the
email that goes with it, in that order. Staff reach these through the admin; the request
form and the verification link use the first few."""

import json
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import normalize_email
from joinrun import personal_data
from joinrun.mail import site_url

from . import deadlines, emails
from .models import Channel, DataRequest, Kind, Status, Verification

VERIFY_SALT = "privacy.verify-request"
VERIFY_MAX_AGE = 24 * 60 * 60
EXPORT_DAYS = 7


class NotPossible(Exception):
    """A step that does not apply to this ticket now; str() says why, for staff."""


# Filing and verifying

def file_request(request, *, user=None, staff=None):
    """Saves a new ticket (``request`` unsaved) and starts its clocks: an account's request
    from the form is verified by its session, an opt-out needs no verification, any other
    request (also one staff enter from an email or a letter) waits for the emailed link or
    for staff to verify it."""
    now = timezone.now()
    signed_in = user is not None and user.is_authenticated
    with transaction.atomic():
        if signed_in:
            request.user = user
            request.channel = Channel.ACCOUNT
            request.contact_email = user.email or request.contact_email
            request.verified_at, request.verification = now, Verification.SESSION
            request.status = Status.IN_PROGRESS
        elif request.kind == Kind.CCPA_OPT_OUT:
            request.verification = Verification.NOT_NEEDED
        else:
            request.status = Status.AWAITING_VERIFICATION
        request.save()
        request.log("received", actor=staff or (user if signed_in else "requester"),
                    by_requester=signed_in and not staff, to_status=request.status,
                    message=f"entered by staff ({request.channel})" if staff else "")
        if request.kind == Kind.CCPA_OPT_OUT:
            # We sell and share nothing: the opt-out is in effect already.
            request.outcome = str(_(
                "join run does not sell or share personal information, and never will; "
                "nothing more was needed to honour your opt-out."))
            request.response_sent_at = now
            request.move_to(Status.COMPLETED, action="completed")
        # Queued with the ticket: both are there, or neither.
        emails.send_acknowledgement(request)
        if request.status == Status.AWAITING_VERIFICATION:
            emails.send_verification(request, site_url(verify_path(request)))
        elif request.status == Status.COMPLETED:
            emails.send_completion(request)
        else:
            emails.send_staff_new_request(request)
    return request


def verify_path(request):
    token = signing.TimestampSigner(salt=VERIFY_SALT).sign(request.reference)
    return reverse("privacy:verify_request", args=[request.reference]) + f"?token={token}"


def check_verification_token(reference, token):
    """True for a valid, unexpired token for ``reference``; raises signing.SignatureExpired
    or signing.BadSignature otherwise."""
    value = signing.TimestampSigner(salt=VERIFY_SALT).unsign(token, max_age=VERIFY_MAX_AGE)
    if value != reference:
        raise signing.BadSignature("another request")
    return True


def mark_verified(request, *, how, actor=None):
    """The requester proved the email is theirs (or staff checked): work can start. The
    account with that email, if any, is the one the request is about."""
    with transaction.atomic():
        # Locked and re-read: two clicks on the link at once verify (and tell staff) once.
        current = type(request).objects.select_for_update().get(pk=request.pk)
        if current.status not in (Status.AWAITING_VERIFICATION, Status.RECEIVED) or (
            current.verification
        ):
            raise NotPossible(_("Only a request awaiting verification can be verified."))
        request.status = current.status
        request.verified_at, request.verification = timezone.now(), how
        if request.user is None and request.contact_email:
            request.user = get_user_model().objects.filter(
                email=request.contact_email).first()
        request.move_to(Status.IN_PROGRESS, actor=actor or "requester", action="verified")
        emails.send_staff_new_request(request)


# Staff's work

def _require_account(request):
    if request.user is None:
        raise NotPossible(_("No account is linked to this request (none with its email, or "
                            "it was erased)."))
    if not holds_the_account(request):
        raise NotPossible(_("The linked account's email is not the address this request "
                            "verified. Check another way that the requester holds the "
                            "account, and write how under “How staff checked the "
                            "identity”."))


def holds_the_account(request):
    """Whether the requester is known to hold the linked account: it asked while signed in,
    or its own address is the one the request verified, or staff wrote down how they
    checked. A verified contact proves only that address, not someone else's account."""
    if request.verification == Verification.SESSION or request.identity_check:
        return True
    return bool(request.verification and request.user.email
                and normalize_email(request.user.email)
                == normalize_email(request.contact_email))


def record_identity_check(request, *, actor, how):
    """Staff checked the identity another way: ``how`` stays on the ticket (purged with
    its contact details); the event says only that it happened, as events name nobody."""
    request.identity_check = how
    with transaction.atomic():
        request.save(update_fields=["identity_check"])
        request.log("identity_checked", actor=actor)


def _require_open(request):
    if not request.is_open:
        raise NotPossible(_("This request is closed."))


def _require_verified(request):
    # Nothing about an account is shown, sent or changed for an address nobody confirmed.
    if not request.verification:
        raise NotPossible(_("Verify the request first."))


def build_export(request, *, actor, now=None):
    """The same JSON as the account's own download, kept for 7 days outside the web root
    and emailed as a link that works until then."""
    _require_open(request)
    _require_verified(request)
    _require_account(request)
    now = now or timezone.now()
    data = personal_data.export_for(request.user, now=now)
    folder = Path(settings.DATA_EXPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{request.reference}-{secrets.token_urlsafe(16)}.json"
    (folder / name).write_text(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False), encoding="utf-8")
    delete_export_file(request)
    request.export_file, request.export_expires_at = name, now + timedelta(days=EXPORT_DAYS)
    with transaction.atomic():
        request.save(update_fields=["export_file", "export_expires_at"])
        request.log("export_built", actor=actor)
        emails.send_export_ready(request, site_url(export_path(request)))


def export_path(request):
    return reverse("privacy:download_export", args=[request.reference]) + \
        f"?key={request.link_key}"


def export_file_path(request):
    return Path(settings.DATA_EXPORT_DIR) / request.export_file if request.export_file else None


def delete_export_file(request):
    path = export_file_path(request)
    if path is not None:
        path.unlink(missing_ok=True)


def erase_account(request, *, actor):
    """Erases the linked account exactly as self-service deletion does."""
    _require_open(request)
    _require_verified(request)
    _require_account(request)
    with transaction.atomic():
        personal_data.erase_for(request.user)  # deletes the account's exports too
        request.user = None  # the foreign key is set to null in the database too
        request.save(update_fields=["user"])
        request.log("account_erased", actor=actor)


def restrict(request, *, actor):
    _require_open(request)
    _require_verified(request)
    _require_account(request)
    user = request.user
    if user.processing_restricted_at is None:
        user.processing_restricted_at = timezone.now()
        user.save(update_fields=["processing_restricted_at"])
    request.log("processing_restricted", actor=actor)


def lift_restriction(request, *, actor):
    # The ticket that restricted the account may lift it again, even once the account's
    # address changed or the contact was purged; any other needs the identity rule.
    if request.user is None or not request.events.filter(
            action="processing_restricted").exists():
        _require_account(request)
    user = request.user
    user.processing_restricted_at = None
    user.save(update_fields=["processing_restricted_at"])
    request.log("restriction_lifted", actor=actor)


def record_objection(request, *, actor):
    """Objections are recorded for staff to weigh; the work is done by the other steps
    (restricting, erasing) and the reply says what was decided."""
    _require_open(request)
    request.log("objection_recorded", actor=actor)


def extend(request, *, actor, reason, today=None):
    """Two more months (GDPR) or up to 90 days (CCPA), only before the due date, with the
    reason emailed to the requester."""
    _require_open(request)
    today = today or timezone.localdate()
    if request.extended_until:
        raise NotPossible(_("This request was already extended."))
    if today > request.due_on:
        raise NotPossible(_("The due date has passed: an extension must be sent before it."))
    received = timezone.localdate(request.received_at)
    request.extended_until = deadlines.extended_due(received, regime=request.regime)
    request.extension_reason = reason
    request.extension_notified_at = timezone.now()
    with transaction.atomic():
        request.save(update_fields=["extended_until", "extension_reason",
                                    "extension_notified_at"])
        request.log("extended", actor=actor)
        emails.send_extension(request)


def refuse(request, *, actor, basis, explanation):
    _require_open(request)
    request.refusal_basis, request.refusal_explanation = basis, explanation
    request.response_sent_at = timezone.now()
    with transaction.atomic():
        request.move_to(Status.REFUSED, actor=actor, action="refused")
        emails.send_refusal(request)


def complete(request, *, actor, reply):
    _require_open(request)
    _require_verified(request)
    request.outcome, request.response_sent_at = reply, timezone.now()
    with transaction.atomic():
        request.move_to(Status.COMPLETED, actor=actor, action="completed")
        emails.send_completion(request)


UNVERIFIED_DAYS = 7


def close_unverified(*, now=None, dry_run=False):
    """Requests nobody confirmed within a week are closed (their link expired after a day),
    so they stop showing as overdue and their contact details are purged in time."""
    now = now or timezone.now()
    stale = list(DataRequest.objects.filter(
        status=Status.AWAITING_VERIFICATION, verification="",
        received_at__lte=now - timedelta(days=UNVERIFIED_DAYS)))
    if not dry_run:
        for request in stale:
            request.move_to(Status.CLOSED_UNVERIFIED, action="closed_unverified")
    return len(stale)
