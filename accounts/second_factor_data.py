"""Second factors in the personal-data register. django-otp's tables are third-party, so
their columns are declared here, with why each is kept. The app's key and the recovery
codes are secrets, like a password: never exported, only that they exist."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinrun.personal_data import PersonalField, Section, iso

UNTIL_OFF = _("Until you turn two-step sign-in off or delete your account.")
TOTP = "otp_totp.TOTPDevice"
STATIC = "otp_static.StaticDevice"


def _day(moment):
    return moment and timezone.localdate(moment).isoformat()


def export_second_factor(user):
    apps = TOTPDevice.objects.filter(user=user).order_by("pk")
    codes = StaticDevice.objects.filter(user=user).order_by("pk")
    return {
        "authenticator_apps": [
            {
                "name": app.name,
                "set_up": app.confirmed,
                "summary": (
                    _("An authenticator app is set up since %(day)s.")
                    if app.confirmed else _("An authenticator app was being set up on %(day)s.")
                ) % {"day": _day(app.created_at)},
                "since": iso(app.created_at),
                "last_used_at": iso(app.last_used_at),
                "wrong_codes_in_a_row": app.throttling_failure_count,
                "last_wrong_code_at": iso(app.throttling_failure_timestamp),
            }
            for app in apps
        ],
        "recovery_codes": [
            {
                "name": device.name,
                "in_use": device.confirmed,
                "codes_left": device.token_set.count(),
                "made_at": iso(device.created_at),
                "last_used_at": iso(device.last_used_at),
                "wrong_codes_in_a_row": device.throttling_failure_count,
                "last_wrong_code_at": iso(device.throttling_failure_timestamp),
            }
            for device in codes
        ],
    }


def erase_second_factor(user):
    # The foreign keys cascade too; erased here so the register says it and does it.
    StaticToken.objects.filter(device__user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()


def _field(model, name, purpose, exported=True):
    return PersonalField(model, name, purpose, UNTIL_OFF, exported)


SECTION = Section(
    name="second_factor",
    title=_("Two-step sign-in"),
    fields=(
        _field(TOTP, "user", _("Whose authenticator app it is, to ask for its code after the "
                               "password (staff: before the staff pages).")),
        _field(TOTP, "key", _("The secret your app shares with us to make its codes. A key, "
                              "like a password: never exported."), exported=False),
        _field(TOTP, "created_at", _("To show on My account since when it is on.")),
        _field(TOTP, "last_used_at", _("When a code from the app was last accepted.")),
        _field(TOTP, "throttling_failure_count",
               _("Wrong codes in a row, to make guessing wait longer after each.")),
        _field(TOTP, "throttling_failure_timestamp",
               _("When the last wrong code came, to time the wait before the next try.")),
        _field(STATIC, "user", _("Whose recovery codes they are, to sign in once each when "
                                 "the phone is lost.")),
        _field(STATIC, "created_at", _("When the recovery codes were made.")),
        _field(STATIC, "last_used_at", _("When a recovery code was last used.")),
        _field(STATIC, "throttling_failure_count",
               _("Wrong recovery codes in a row, to make guessing wait longer after each.")),
        _field(STATIC, "throttling_failure_timestamp",
               _("When the last wrong recovery code came, to time the wait.")),
        _field("otp_static.StaticToken", "token",
               _("The unused recovery codes: secrets, never exported; the export says how "
                 "many are left. A used code is deleted at once."), exported=False),
    ),
    export_for=export_second_factor,
    erase_for=erase_second_factor,
)
