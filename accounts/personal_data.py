"""What accounts keeps about a person: its entries in the personal-data register."""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from joinrun.personal_data import PersonalField, Section, iso

from .models import Session, User

UNTIL_DELETED = _("Until you delete your account.")


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
    }


def erase_account(user):
    # Admin history rows about this account carry its email in their description.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).delete()
    user.delete()


def export_sessions(user):
    # When each signed-in browser's session ends; never the session key itself.
    live = Session.objects.filter(user=user, expire_date__gt=timezone.now())
    return [{"signed_in_until": iso(s.expire_date)} for s in live.order_by("expire_date")]


def erase_sessions(user):
    Session.objects.filter(user=user).delete()


def export_staff_actions(user):
    entries = LogEntry.objects.filter(user=user).order_by("action_time")
    return [
        {"at": iso(e.action_time), "object": e.object_repr, "change": e.get_change_message()}
        for e in entries
    ]


def erase_staff_actions(user):
    LogEntry.objects.filter(user=user).delete()


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
                _("Until you log out, or 30 days with “Remember me”, or when the browser closes."),
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
]
