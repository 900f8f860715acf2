"""The privacy policy page, and the Global Privacy Control answer."""

from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from joinrun import personal_data

# The day this version of the policy took effect; gpc.json reports it too.
EFFECTIVE = date(2026, 11, 30)
# The version before it, for the change history.
PREVIOUS = date(2026, 11, 24)
DAY = 24 * 60 * 60


# Plain names where a field's own name means little to a reader out of its model ("User",
# "Created at"). The rest keep their form label ("Display name"). A test checks that each
# of these still names a field in the register.
PLAIN_LABELS = {
    "django_tasks_database.DBTaskResult.args_kwargs": _("A password reset asked for"),
    "accounts.User.is_active": _("Account can log in"),
    "accounts.User.is_staff": _("Member of staff"),
    "accounts.User.is_superuser": _("Staff with every permission"),
    "accounts.User.groups": _("Staff groups"),
    "accounts.User.user_permissions": _("Staff permissions"),
    "accounts.User.processing_restricted_at": _("Use of your data restricted since"),
    "accounts.Session.user": _("Your signed-in browsers"),
    "admin.LogEntry.user": _("Who made a change"),
    "admin.LogEntry.object_repr": _("Name of the changed record"),
    "admin.LogEntry.change_message": _("Changes staff made to your account"),
    "otp_totp.TOTPDevice.user": _("Your authenticator app"),
    "otp_totp.TOTPDevice.key": _("Your authenticator app's secret key"),
    "otp_totp.TOTPDevice.created_at": _("Two-step sign-in on since"),
    "otp_totp.TOTPDevice.last_used_at": _("When a code was last accepted"),
    "otp_totp.TOTPDevice.throttling_failure_count": _("Wrong codes in a row"),
    "otp_totp.TOTPDevice.throttling_failure_timestamp": _("When a wrong code came last"),
    "otp_static.StaticDevice.user": _("Your recovery codes"),
    "otp_static.StaticDevice.created_at": _("When your recovery codes were made"),
    "otp_static.StaticDevice.last_used_at": _("When a recovery code was last used"),
    "otp_static.StaticDevice.throttling_failure_count": _("Wrong recovery codes in a row"),
    "otp_static.StaticDevice.throttling_failure_timestamp":
        _("When a wrong recovery code came last"),
    "otp_static.StaticToken.token": _("Unused recovery codes"),
    "django_otp_webauthn.WebAuthnCredential.user": _("Your passkeys"),
    "django_otp_webauthn.WebAuthnCredential.name": _("A passkey's name"),
    "django_otp_webauthn.WebAuthnCredential.created_at": _("When a passkey was added"),
    "django_otp_webauthn.WebAuthnCredential.last_used_at": _("When a passkey was last used"),
    "django_otp_webauthn.WebAuthnCredential.public_key": _("A passkey's public key"),
    "django_otp_webauthn.WebAuthnCredential.credential_id": _("A passkey's number"),
    "django_otp_webauthn.WebAuthnCredential.sign_count": _("A passkey's use counter"),
    "django_otp_webauthn.WebAuthnCredential.transports": _("How a passkey is reached"),
    "django_otp_webauthn.WebAuthnCredential.backup_eligible": _("Whether a passkey can sync"),
    "django_otp_webauthn.WebAuthnCredential.backup_state": _("Whether a passkey is synced"),
    "django_otp_webauthn.WebAuthnCredential.discoverable": _("Whether a passkey needs your "
                                                             "email"),
    "django_otp_webauthn.WebAuthnUserHandle.user": _("Your account's number for passkeys"),
    "clubs.Organiser.user": _("Clubs you organise"),
    "clubs.Invitation.user": _("Invitations to co-organise a club"),
    "clubs.Invitation.email": _("Address an invitation was sent to"),
    "clubs.Invitation.created_at": _("When an invitation was sent"),
    "clubs.Follow.user": _("Clubs you follow"),
    "clubs.Follow.created_at": _("Following since"),
    "runs.Run.organiser": _("Runs you organise"),
    "runs.Participation.runner": _("Your places on runs"),
    "strava.StravaConnection.user": _("Your Strava connection"),
    "strava.StravaConnection.expires_at": _("When the access token expires"),
    "runs.CalendarFeed.user": _("Your calendar feed"),
    "runs.CalendarFeed.secret": _("Secret key in the feed's address"),
    "runs.CalendarFeed.created_at": _("When the feed's link was made"),
    "runs.CalendarFeed.changed_at": _("When the feed's runs last changed"),
    "runs.CalendarFeed.fingerprint": _("Checksum of the feed's runs"),
    "privacy.DataRequest.user": _("Account a request is about"),
    "privacy.DataRequest.assignee": _("Staff member answering a request"),
    "privacy.DataRequest.verification": _("How you confirmed a request"),
    "privacy.DataRequestEvent.action": _("Steps taken on your request"),
    "privacy.DataRequestEvent.actor": _("Who took a step on a request"),
    "outbox.Email.to": _("Address an email goes to"),
    "outbox.Email.headers": _("Unsubscribe link of an email"),
    "outbox.Email.language": _("Language of an email"),
    "outbox.Email.user": _("Account an email is for"),
}


@dataclass(frozen=True)
class Row:
    """One line of the "what we store" table: a register field, in words."""

    label: str
    purpose: str
    retention: str
    exported: bool


def _label(entry):
    """The plain name above, else the field's own name from its model ("Display name"),
    else the register's name."""
    plain = PLAIN_LABELS.get(f"{entry.model}.{entry.field}")
    if plain:
        return plain
    try:
        return capfirst(apps.get_model(entry.model)._meta.get_field(entry.field).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return entry.field


def _rows(section):
    return [Row(_label(f), f.purpose, f.retention, f.exported) for f in section.fields]


def _days(seconds):
    """Whole days, or None for a cookie that ends with the browser."""
    return None if seconds is None else seconds // DAY


def policy(request):
    return render(request, "privacy/policy.html", {
        "data_sections": [(section, _rows(section)) for section in personal_data.sections()],
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "session_days": _days(settings.SESSION_COOKIE_AGE),
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "csrf_days": _days(settings.CSRF_COOKIE_AGE),
        "effective": EFFECTIVE,
        "previous": PREVIOUS,
    })


def gpc_json(request):
    # We sell and share nothing, so every visitor is always opted out.
    return JsonResponse({"gpc": True, "lastUpdate": EFFECTIVE.isoformat()})
