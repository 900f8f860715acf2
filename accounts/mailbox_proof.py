"""A member of staff's first second factor is set up only after a code emailed to the
account's address.

Without it, someone who stole the password of a member of staff who has no factor yet
(a new account, or one a superuser reset) could set up their own app or passkey and open
the staff pages. The code lives in the session as a keyed digest only, for 15 minutes and
5 tries, and proving the mailbox counts for that session alone.
"""

import secrets
import time

from django.utils.crypto import constant_time_compare, salted_hmac

from joinrun.ratelimit import Limiter

from . import emails, second_factor

CODE_KEY = "mailbox_code"  # this session's code: its digest, until when, tries, account
PROVEN_KEY = "mailbox_proven"  # the account whose mailbox this session proved
MINUTES = 15
TRIES = 5
CODES_PER_HOUR = Limiter("mailbox-codes", limit=5, window=60 * 60)  # per account


def needed(request):
    """Whether this session must prove the mailbox before setting up a factor."""
    user = request.user
    return (user.is_authenticated and user.is_staff
            and not second_factor.has_second_factor(user)
            and request.session.get(PROVEN_KEY) != user.pk)


def _digest(code):
    return salted_hmac("accounts.mailbox_proof", "".join(code.split())).hexdigest()


def _pending(request):
    pending = request.session.get(CODE_KEY)
    if (not isinstance(pending, dict) or pending.get("account") != request.user.pk
            or pending.get("until", 0) < time.time()):
        return None
    return pending


def sent(request):
    """Whether a code was emailed for this session and still works."""
    return _pending(request) is not None


def send(request):
    """Emails a new code (any earlier one stops working). Returns the limit's window when
    this account had as many codes as an hour allows, else None."""
    account = str(request.user.pk)
    full = CODES_PER_HOUR.exceeded(account)
    if full:
        return full
    CODES_PER_HOUR.record(account)
    code = f"{secrets.randbelow(10 ** 8):08d}"
    request.session[CODE_KEY] = {"digest": _digest(code), "until": time.time() + MINUTES * 60,
                                 "tries": 0, "account": request.user.pk}
    emails.send_mailbox_code(request.user, code, MINUTES)
    return None


def check(request, code):
    """True when ``code`` is the one emailed for this session: the mailbox is proven. A
    wrong code uses up a try; after the last one (or once expired) a new code is needed."""
    pending = _pending(request)
    if pending is None:
        request.session.pop(CODE_KEY, None)
        return False
    if constant_time_compare(_digest(code), pending["digest"]):
        del request.session[CODE_KEY]
        request.session[PROVEN_KEY] = request.user.pk
        return True
    pending["tries"] += 1
    if pending["tries"] >= TRIES:
        del request.session[CODE_KEY]
    else:
        request.session[CODE_KEY] = pending
    return False
