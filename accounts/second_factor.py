"""Second factors: an authenticator app (TOTP) and one-time recovery codes, by django-otp.

Staff need one for every staff page; a runner may turn one on. After the password, an
account with a factor is signed in but its session waits for the second step: the
middleware sends it to the code page until ``django_otp.login`` marks the session
verified. A passkey counts the same way (accounts/passkeys.py): signing in with one, or
giving one at the second step, verifies the session.
"""

import math
from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import passkeys
from .models import Session

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 8  # StaticToken.random_token()'s
DEVICE_NAME = "Authenticator app"
# Set at login for an account with a second factor; gone once a code was given. A session
# from before the factor was set up has no flag: confirm_setup ends every such session.
PENDING = "second_step_pending"
# The app this session is setting up (its TOTPDevice's pk): only this session's key can be
# confirmed, so nobody can plant a key they copied for the owner to scan later.
SETTING_UP = "second_factor_setup"
# django-otp doubles the wait after each wrong code in a row (1, 2, 4 … seconds) and only a
# right code starts again; counting at most 9 caps the wait at 2**8 = 256 s, so someone who
# only knows the password cannot lock the owner out for hours. Guessing stays bounded by the
# account's own limit of wrong checks (accounts/throttle.py, 10 in 15 minutes).
MAX_FAILURES_COUNTED = 9


def has_app(user):
    """An authenticator app is set up (with its recovery codes)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_second_factor(user):
    """Whether signing in with a password takes a second step: an authenticator app, or
    for staff a passkey too. A runner's passkeys are a way to sign in instead of the
    password, not a step after it."""
    if has_app(user):
        return True
    return user.is_staff and passkeys.has_any(user)


def is_verified(request):
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def with_next(url_name, back_to):
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': back_to})}" if back_to else url


def to_second_step(back_to):
    return redirect(with_next("accounts:two_factor", back_to))


def after_password(request, user, back_to):
    """Where a login goes once the password was right: the code page for an account with
    a second factor, the setup page for staff without one, else None (as before)."""
    if has_second_factor(user):
        request.session[PENDING] = True
        return redirect(with_next("accounts:two_factor", back_to))
    if user.is_staff:
        return redirect(with_next("accounts:two_factor_setup", back_to))
    return None


def unverified_staff_redirect(request, back_to):
    """For the admin's login: a member of staff signed in without the second step."""
    if not request.user.is_staff or is_verified(request):
        return None
    if has_second_factor(request.user):
        return redirect(with_next("accounts:two_factor", back_to))
    return redirect(with_next("accounts:two_factor_setup", back_to))


def admin_has_permission(request):
    """The admin's own check, and a second factor given in this session."""
    user = request.user
    return user.is_active and user.is_staff and is_verified(request)


def mark_verified(request, device):
    request.session.pop(PENDING, None)
    # A new key for the session that now counts as verified.
    request.session.cycle_key()
    otp_login(request, device)


class SecondStepMiddleware:
    """A session waiting for its second step reaches only the code page and logging out;
    a member of staff's session that has not given a factor (none set up yet, or any
    session from before) reaches only that and setting one up. So a password alone opens
    nothing of a staff account: not My account (where the address the setup code goes to
    could be changed), not the data download.

    After OTPMiddleware. Only signed-in sessions are affected, so a signed-out visitor
    (and the page cache, which serves only cookie-less requests) is not."""

    ALLOWED = ("accounts:two_factor", "accounts:logout", "accounts:passkey_sign_in_begin",
               "accounts:passkey_sign_in_complete", "accounts:passkey_messages")
    # The setup page checks the emailed code before it shows a key or takes a passkey.
    STAFF_SETUP = ("accounts:two_factor_setup", "accounts:passkey_add_begin",
                   "accounts:passkey_add_complete")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is None or not session.session_key:
            return self.get_response(request)
        back_to = request.get_full_path() if request.method == "GET" else ""
        if session.get(PENDING):
            if not request.user.is_authenticated or is_verified(request):
                session.pop(PENDING, None)
            elif not _is_one_of(request, self.ALLOWED):
                return redirect(with_next("accounts:two_factor", back_to))
        user = request.user
        if (user.is_authenticated and user.is_staff and not is_verified(request)
                and not _is_one_of(request, self.ALLOWED + self.STAFF_SETUP)):
            return unverified_staff_redirect(request, back_to)
        return self.get_response(request)


def _is_one_of(request, url_names):
    return request.path in {reverse(name) for name in url_names}


# Setting up


def device_being_set_up(request):
    """The unconfirmed app this session was shown, else None."""
    pk = request.session.get(SETTING_UP)
    if not isinstance(pk, int):
        return None
    return TOTPDevice.objects.filter(pk=pk, user=request.user, confirmed=False).first()


def start_setup(request):
    """The app this session sets up: the same key on every reload while the person scans
    it; a new one (and any other session's unconfirmed key gone) when this session has none."""
    device = device_being_set_up(request)
    if device is None:
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
        request.session[SETTING_UP] = device.pk
    return device


def key_text(device):
    """The key as authenticator apps take it when typed: base32 in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_svg(device):
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="qr-code",
        title=gettext("QR code with the key for your authenticator app"))


def confirm_setup(request, device, code):
    """True when ``code`` confirms the app being set up: then it is the account's second
    factor (any older one is replaced), this session is verified and every other session
    of the account ends, as a password change does: a session signed in before had no
    second step and must not keep going without one."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(code):
            return False
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.created_at = timezone.now()  # "set up since" counts from here
        device.save()
        Session.objects.filter(user=device.user).exclude(
            session_key=request.session.session_key).delete()
    request.session.pop(SETTING_UP, None)
    mark_verified(request, device)
    return True


def new_recovery_codes(user):
    """Ten new one-time codes; older ones stop working. Returned once, to be shown once."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def summary(user):
    """For My account: since when the app is set up (None: off), recovery codes left."""
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return {"since": app and app.created_at,
            "codes_left": recovery_codes_left(user) if app else 0}


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def turn_off(user):
    """Removes the authenticator app and recovery codes of ``user`` (passkeys stay: they
    are removed one by one on My account); returns how many devices there were."""
    devices = [device for device in devices_for_user(user, confirmed=None)
               if isinstance(device, (TOTPDevice, StaticDevice))]
    for device in devices:
        device.delete()
    return len(devices)


def remove_every_factor(user):
    """Removes the app, the recovery codes and the passkeys of ``user``; returns how many
    there were. For a superuser's reset (manage.py reset_second_factor) and an account
    made staff."""
    return turn_off(user) + passkeys.remove_all(user)


def start_again_as_staff(user):
    """An account made staff keeps no factor it set up as a runner (someone who had only
    its password could have added an app or a passkey then, to open the staff pages
    later), and every session ends: its next sign-in sets one up, after the code emailed
    to it (accounts/mailbox_proof.py)."""
    remove_every_factor(user)
    Session.objects.filter(user=user).delete()


# Checking a code


class Throttled(Exception):
    """Too many wrong codes: django-otp's own wait before the next try."""

    def __init__(self, until):
        super().__init__(until)
        self.until = until

    def wait_message(self, now=None):
        """The true wait, rounded up: "wait 4 seconds", "wait 3 minutes"."""
        seconds = max(1, math.ceil((self.until - (now or timezone.now())).total_seconds()))
        if seconds < 60:
            return ngettext("Too many wrong codes: wait %(count)d second, then try again.",
                            "Too many wrong codes: wait %(count)d seconds, then try again.",
                            seconds) % {"count": seconds}
        minutes = math.ceil(seconds / 60)
        return ngettext("Too many wrong codes: wait %(count)d minute, then try again.",
                        "Too many wrong codes: wait %(count)d minutes, then try again.",
                        minutes) % {"count": minutes}


def _normalise(code):
    return "".join(code.split()).lower()


def _cap_wait(device):
    if device.throttling_failure_count > MAX_FAILURES_COUNTED:
        device.throttling_failure_count = MAX_FAILURES_COUNTED
        device.save(update_fields=["throttling_failure_count"])


def _kinds_to_try(code):
    """An app's code is digits; a recovery code is 8 base32 characters, which now and
    then are digits only (2 to 7), so 8 digits that are no app code are tried as one."""
    if not code.isdigit():
        return [StaticDevice]
    if len(code) == RECOVERY_CODE_LENGTH:
        return [TOTPDevice, StaticDevice]
    return [TOTPDevice]


def check_code(user, code):
    """The device that accepts ``code`` (an app's code or an unused recovery code), else
    None; raises Throttled while django-otp makes the device wait after wrong codes."""
    code = _normalise(code)
    waiting_until = None
    with transaction.atomic():
        for model in _kinds_to_try(code):
            for device in model.objects.select_for_update().filter(user=user, confirmed=True):
                _cap_wait(device)
                allowed, details = device.verify_is_allowed()
                if not allowed:
                    until = details.get("locked_until") or timezone.now()
                    waiting_until = max(until, waiting_until or until)
                    continue
                if device.verify_token(code):
                    return device
                _cap_wait(device)
    if waiting_until:
        raise Throttled(waiting_until)
    return None
