"""The links that confirm an address: signed, timed, and bound to the account's state.

A token names the account, the address it confirms (for an email change, the new one:
nothing is stored until the link is used) and a digest of the state the click changes:
the account's address, when it was confirmed, and its password hash. Only the account
the token names, signed in, can use it (see confirm_views). Once a click has changed that
state, the same link, and every other link sent before it, no longer matches and is
recognised as used; a password reset (which confirms the address and changes the hash)
outdates them too, so the owner of the old address can stop a change asked for in a
stolen session by resetting the password (which also ends every session).

Asking for a second email change does not by itself outdate the link of the first: both
stay good until one of them is used, the password changes or they expire. Only the
account's owner, signed in, can use either, so an older link is no way in for whoever
holds the address it went to; telling the links apart would need a stored column.
"""

from datetime import timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import User

CONFIRM_SALT = "accounts.confirm-email"
# Long enough for a weekend away from the inbox; the notice offers a new link after that.
CONFIRM_MAX_AGE = timedelta(days=3)


class LinkProblem(Exception):
    """Why a confirmation link does nothing: ``code`` is "expired", "invalid", "used" or
    "taken" (another account has the address now)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def _state(user):
    confirmed = user.email_confirmed_at.isoformat() if user.email_confirmed_at else ""
    value = "\x00".join([user.email or "", confirmed, user.password or ""])
    return salted_hmac(CONFIRM_SALT, value).hexdigest()[:32]


def make_confirm_token(user, email=None):
    """A token confirming ``email`` (by default the account's own) for ``user``."""
    payload = {"user": user.pk, "email": email or user.email, "state": _state(user)}
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def read_confirm_token(token, *, user=None):
    """(account, address) the token confirms; raises LinkProblem. ``user`` is the account
    as locked by the caller, so two clicks at once cannot both pass."""
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT,
                                max_age=CONFIRM_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise LinkProblem("expired") from None
    except (signing.BadSignature, ValueError):
        raise LinkProblem("invalid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int) or not (
        isinstance(payload.get("email"), str) and isinstance(payload.get("state"), str)
    ):
        raise LinkProblem("invalid")
    if user is None:
        user = User.objects.filter(pk=payload["user"], is_active=True).first()
    if user is None or user.pk != payload["user"]:
        raise LinkProblem("invalid")  # the account is gone (or switched off)
    if not constant_time_compare(payload["state"], _state(user)):
        raise LinkProblem("used")
    return user, payload["email"]


def _check_free(user, email):
    if User.objects.filter(email=email).exclude(pk=user.pk).exists():
        raise LinkProblem("taken")


def preview(token):
    """What confirm() would confirm, without changing anything (for the page the link
    opens); raises LinkProblem as confirm() would."""
    user, email = read_confirm_token(token)
    _check_free(user, email)
    return user, email


def confirm(token, *, account, now=None):
    """Confirms the address in ``token``, switching the account to it if it is a new one.
    ``account`` is the signed-in account: the token must be for it (PermissionDenied
    otherwise). Returns the account; raises LinkProblem and changes nothing when the
    link is not good now."""
    user, _email = read_confirm_token(token)
    if user.pk != account.pk:
        raise PermissionDenied("A confirmation link is used by its own account only.")
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk, is_active=True).first()
        if locked is None:  # erased a moment ago
            raise LinkProblem("invalid")
        locked, email = read_confirm_token(token, user=locked)
        _check_free(locked, email)
        locked.email = email
        locked.email_confirmed_at = now or timezone.now()
        try:
            with transaction.atomic():
                locked.save(update_fields=["email", "email_confirmed_at"])
        except IntegrityError:  # another account took the address a moment ago
            raise LinkProblem("taken") from None
    return locked
