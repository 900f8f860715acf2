"""Passkeys, by django-otp-webauthn: sign in without a password, and a second factor.

Anyone may add passkeys on My account, name them and remove them, and then sign in with
one alone from the login page. A passkey is a django-otp device, so a session signed in
or verified with one counts as verified (a staff member's second factor:
accounts/second_factor.py).

What is kept of a passkey is what checking it needs: its id, its public key, its
signature counter, the browser name it was added from (as its first name, which the
owner may change), when it was added and when it was last used (My account shows the
day). Not the authenticator's attestation (the maker's certificate and the browser's data
from the day it was added) nor which maker's authenticator it is: join run has no use for
them, so they are not stored at all.

A passkey sign-in needs its challenge between the two requests. Signed-in people keep it
in their session; a visitor has no session (the session cookie comes only with signing
in), so a visitor's challenge is not kept at all: it is made from the visitor's CSRF
secret (the login page already set that cookie) and the current few minutes, with the
site's key, and made again to check the answer. Only a challenge that signed someone in
is recorded, so it signs nobody in twice.
"""

import hashlib
import json
import time

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.settings import app_settings
from webauthn.helpers import base64url_to_bytes

from . import devices

# More than a person has devices; a limit keeps one account from filling the table.
MOST_PASSKEYS = 20
NAME_LENGTH = 64  # the column's (django-otp's Device.name)
# A visitor's challenge lasts the ceremony's timeout, and at most twice that.
CHALLENGE_SECONDS = app_settings.OTP_WEBAUTHN_TIMEOUT_SECONDS
VISITOR_CHALLENGE = "accounts.passkeys.visitor_challenge"
USED_CHALLENGE = "passkey-used:{}"
NO_MAKER = "00000000-0000-0000-0000-000000000000"


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's ceremonies, as join run keeps them (settings
    OTP_WEBAUTHN_HELPER_CLASS)."""

    def create_credential(self, user, response, parsed_credential, original_data):
        passkey = super().create_credential(user, response, parsed_credential, original_data)
        # Its first name: the browser it was added from ("Firefox on Android").
        passkey.name = devices.describe(devices.device(self.request.headers.get("User-Agent")))
        # Which maker's authenticator it is: not needed, so not kept (all zeros).
        passkey.aaguid = NO_MAKER
        return passkey

    def create_attestation(self, credential, attestation_object, client_data_json):
        """Nothing: the attestation is not kept (see the module's note)."""
        return None

    # A visitor's challenge (visitor_challenge), when set; else a random one.
    challenge = None

    def get_generate_authentication_options_kwargs(self, **kwargs):
        options = super().get_generate_authentication_options_kwargs(**kwargs)
        if self.challenge is not None:
            options["challenge"] = self.challenge
        return options

    def _check_discoverable(self, original_data):
        """The package's check, for a browser's answer of any shape."""
        results = (original_data.get("clientExtensionResults")
                   if isinstance(original_data, dict) else None)
        props = results.get("credProps") if isinstance(results, dict) else None
        if not isinstance(props, dict) or "rk" not in props:
            return None
        return bool(props["rk"])


def of(user):
    """The passkeys of ``user``, newest first."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("-created_at",
                                                                                 "-pk")


def has_any(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def may_add_more(user):
    return WebAuthnCredential.objects.filter(user=user).count() < MOST_PASSKEYS


def rename(passkey, name):
    passkey.name = name
    passkey.save(update_fields=["name"])


def remove(passkey):
    passkey.delete()


def remove_all(user):
    """Removes every passkey of ``user``; returns how many there were."""
    count, _by_model = WebAuthnCredential.objects.filter(user=user).delete()
    return count


def last_used_day(passkey):
    """The day it was last used (a day, not a time: like sessions), or None."""
    used = passkey.last_used_at
    return timezone.localdate(used) if used else None


# A visitor's sign-in challenge


def _window(now=None):
    return int((time.time() if now is None else now) // CHALLENGE_SECONDS)


def visitor_challenge(request, window=None):
    """The challenge a visitor's browser signs: made from the visitor's CSRF secret (the
    login page sets that cookie) and the current few minutes, with the site's key, so it
    is kept nowhere and a flood of requests writes nothing. None without a CSRF cookie."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        return None
    window = _window() if window is None else window
    return salted_hmac(VISITOR_CHALLENGE, f"{secret}:{window}", algorithm="sha256").digest()


def signed_visitor_challenge(request, answer):
    """The challenge the browser's ``answer`` signed, when it is one this visitor was
    given in the last CHALLENGE_SECONDS to twice that; else None."""
    try:
        client_data = json.loads(base64url_to_bytes(answer["response"]["clientDataJSON"]))
        signed = base64url_to_bytes(client_data["challenge"])
    except (KeyError, TypeError, ValueError, RecursionError):
        return None
    now = _window()
    for window in (now, now - 1):
        expected = visitor_challenge(request, window)
        if expected is not None and constant_time_compare(signed, expected):
            return expected
    return None


def first_use(challenge):
    """True the first time a signed challenge signs someone in, False after: recorded
    only for sign-ins that succeeded (which take a real passkey), so nothing else can
    fill the cache."""
    key = USED_CHALLENGE.format(hashlib.sha256(challenge).hexdigest())
    return cache.add(key, True, 2 * CHALLENGE_SECONDS)
