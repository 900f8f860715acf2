"""What accounts keeps about a person: its entries in the personal-data register."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from joinrun.personal_data import PersonalField, Section, iso

from . import devices, passkey_data, second_factor_data
from .models import Session, User

UNTIL_DELETED = _("Until you delete your account.")
# Closing the browser ends a session without "Remember me" for the browser, but the
# server's row stays until its expiry (then `clearsessions`, daily), as a remembered one's.
SESSION_KEPT = _("Until you log out, or sign that browser out on My account; otherwise "
                 "deleted 30 days after the session last changed. Without “Remember me” "
                 "the browser forgets it when it closes.")


def export_account(user):
    return {
        "email": user.email,
        "display_name": user.display_name,
        "has_password": user.has_usable_password(),
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
        "processing_restricted_at": iso(user.processing_restricted_at),
        "email_confirmed_at": iso(user.email_confirmed_at),
        "language": user.language,
        "reminder_emails": user.reminder_emails,
        "organiser_emails": user.organiser_emails,
        "changes_staff_made_to_your_account": [
            # Not which member of staff: that is theirs.
            _admin_change(entry) for entry in _about(user).order_by("action_time", "pk")
        ],
    }


def _about(user):
    """The staff pages' history rows about this account."""
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User),
                                   object_id=str(user.pk))


ADMIN_ACTIONS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def _admin_change(entry):
    return {"at": iso(entry.action_time), "action": ADMIN_ACTIONS.get(entry.action_flag),
            "record": entry.object_repr, "change": entry.get_change_message()}


def erase_account(user):
    # Admin history rows about this account carry its email in their description.
    _about(user).delete()
    user.delete()


def _session_ends(session):
    """When a session ends, in words that are true for it: a "Remember me" session
    keeps its browser signed in until its expiry, any other one until the browser closes
    (and the server forgets both at that expiry, whatever the browser does)."""
    latest = timezone.localdate(session.expire_date).isoformat()
    if session.get_decoded().get("_session_expiry"):  # set_expiry(30 days): "Remember me"
        return _("When you log out, and at the latest on %(day)s (“Remember me”).") % {
            "day": latest}
    return _("When you log out or this browser closes, and at the latest on %(day)s.") % {
        "day": latest}


def export_sessions(user):
    # Each signed-in browser: what it is, its two days and when it ends; never its key.
    live = Session.objects.filter(user=user, expire_date__gt=timezone.now())
    return [
        {
            "browser": devices.describe(s.device),
            "signed_in_on": iso(s.started_on),
            "last_used_on": iso(s.last_used_on),
            "ends": _session_ends(s),
            "ends_at_the_latest": iso(s.expire_date),
        }
        for s in live.order_by("started_on", "expire_date")
    ]


def erase_sessions(user):
    Session.objects.filter(user=user).delete()


def export_staff_actions(user):
    entries = LogEntry.objects.filter(user=user).select_related("content_type")
    return [
        {**_admin_change(e), "kind_of_record": e.content_type and e.content_type.name}
        for e in entries.order_by("action_time", "pk")
    ]


def erase_staff_actions(user):
    LogEntry.objects.filter(user=user).delete()


def _reset_tasks(user):
    """The queued password-reset tasks that carry this account's id (accounts/tasks.py):
    the task table keeps each row, with its argument, until outbox housekeeping deletes it
    after 7 days. Read in Python: the rows are few and JSON lookups differ by database."""
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(task_path="accounts.tasks.send_password_reset")
    return [row for row in rows if (row.args_kwargs or {}).get("args") == [user.pk]]


def export_reset_requests(user):
    return [{"asked_at": iso(row.enqueued_at), "outcome": row.return_value}
            for row in sorted(_reset_tasks(user), key=lambda row: row.enqueued_at)]


def erase_reset_requests(user):
    for row in _reset_tasks(user):
        row.delete()


def _user_field(name, purpose, *, retention=UNTIL_DELETED, exported=True):
    return PersonalField("accounts.User", name, purpose, retention, exported)


SECTIONS = [
    Section(
        name="account",
        title=_("Your account"),
        fields=(
            _user_field("email", _("To log you in and to send you emails you need.")),
            _user_field("display_name", _("Shown to organisers and runners of runs you join.")),
            _user_field(
                "password",
                _("To log you in. Stored only as a salted hash; never exported."),
                exported=False,
            ),
            _user_field("date_joined", _("To show since when you have an account.")),
            _user_field("last_login", _("To show you when your account was last used.")),
            _user_field("is_active", _("To know whether the account may log in.")),
            _user_field("is_staff", _("To know whether you may use the staff pages.")),
            _user_field("is_superuser", _("Staff only: to know which staff may do everything.")),
            _user_field("groups", _("Staff only: what a member of staff may do.")),
            _user_field("user_permissions", _("Staff only: what a member of staff may do.")),
            _user_field(
                "processing_restricted_at",
                _("To honour your request to restrict processing of your data."),
            ),
            _user_field("email_confirmed_at", _("To send run emails only to an address its "
                        "owner confirmed, and to link Strava only after that.")),
            _user_field("language", _("The language of your pages and emails.")),
            _user_field("reminder_emails", _("Whether you want reminders before your runs.")),
            _user_field("organiser_emails", _("Whether you want messages from organisers.")),
            PersonalField(
                "admin.LogEntry", "change_message",
                _("What a member of staff changed in your account in the staff pages, and "
                  "when: the staff pages' own record of their work."),
                UNTIL_DELETED,
            ),
        ),
        export_for=export_account,
        erase_for=erase_account,
    ),
    Section(
        name="sessions",
        title=_("Signed-in browsers"),
        fields=(
            PersonalField(
                "accounts.Session",
                "user",
                _("To keep you signed in, and to sign you out everywhere at once."),
                SESSION_KEPT,
            ),
            PersonalField(
                "accounts.Session",
                "device",
                _("To tell your signed-in browsers apart on My account: the kind of browser "
                  "and system (“Firefox on Android”), never more of what the browser says."),
                SESSION_KEPT,
            ),
            PersonalField(
                "accounts.Session",
                "started_on",
                _("To show you on My account when a browser signed in: the day only."),
                SESSION_KEPT,
            ),
            PersonalField(
                "accounts.Session",
                "last_used_on",
                _("To show you on My account when a browser was last used: the day only, "
                  "no time and no IP address."),
                SESSION_KEPT,
            ),
        ),
        export_for=export_sessions,
        erase_for=erase_sessions,
    ),
    Section(
        name="staff_actions",
        title=_("Changes made as staff"),
        fields=(
            PersonalField(
                "admin.LogEntry",
                "user",
                _("Staff only: who changed what in the staff pages."),
                UNTIL_DELETED,
            ),
            PersonalField(
                "admin.LogEntry",
                "object_repr",
                _("Staff only: which record a change was about; it can name the account "
                  "changed, so it is erased with that account."),
                UNTIL_DELETED,
            ),
        ),
        export_for=export_staff_actions,
        erase_for=erase_staff_actions,
    ),
    Section(
        name="password_resets",
        title=_("Password resets you asked for"),
        fields=(
            PersonalField(
                "django_tasks_database.DBTaskResult",
                "args_kwargs",
                _("The task that sends a password-reset email carries your account's number, "
                  "so the email is built outside the page (the page then answers alike for "
                  "every address), and what came of it."),
                _("7 days, then the task table's housekeeping deletes it."),
            ),
        ),
        export_for=export_reset_requests,
        erase_for=erase_reset_requests,
    ),
    second_factor_data.SECTION,
    passkey_data.SECTION,
]
