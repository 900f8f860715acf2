"""Writing the site's emails: one template pair per email under templates/emails/, queued
in the outbox (joinrun/outbox) and sent by the task worker, never inside a request."""

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from joinrun.outbox import delivery
from joinrun.outbox.models import Email

# Format and bidirectional controls, private-use and surrogate code points: invisible in
# a form, and an address holding one cannot be encoded for the mail server.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}
UNDELIVERABLE = _("We cannot send email to this address: check it for hidden or unusual "
                  "characters.")


def undeliverable(address):
    """Why ``address`` cannot be sent to, or None."""
    if any(unicodedata.category(char) in HIDDEN_CATEGORIES for char in address):
        return "InvalidAddress"
    try:
        sanitize_address(address, "utf-8")
    except (ValueError, UnicodeError):
        return "InvalidAddress"
    return None


def validate_deliverable(address):
    """For forms: an email field accepts only an address we can really send to."""
    if address and undeliverable(address):
        raise ValidationError(UNDELIVERABLE, code="undeliverable")


def site_url(path):
    """An absolute link for an email: SITE_URL, never the request's Host header."""
    return f"{settings.SITE_URL}{path}"


def webcal(url):
    """The subscribe link a calendar app opens: an absolute feed address as webcal://."""
    return "webcal://" + url.split("://", 1)[1]


def reachable(users):
    """The accounts of ``users`` that may be emailed about runs and clubs: accounts
    without an email (Strava-only) or with one not yet confirmed cannot be told, and
    accounts whose owner asked to restrict processing get no emails but about their
    request."""
    return [u for u in users if u.email_confirmed and u.processing_restricted_at is None]


def render(template, context, language):
    """(subject, body) of ``template`` in ``language``."""
    context = {"site_url": settings.SITE_URL, "contact": settings.PRIVACY_CONTACT_EMAIL,
               **(context or {})}
    with translation.override(language):
        # One line whatever the context holds: a header with a newline is refused.
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        body = render_to_string(f"emails/{template}_body.txt", context)
    return subject, body


def send(template, recipients, context=None, *, language=None, headers=None):
    """Queues ``template`` for each recipient: one email per address, never one email
    with several addresses on it, so nobody learns another's address.

    ``recipients`` are accounts (the email is in the account's own language, and leaves
    with the account if it is erased before it is sent) or bare addresses (in
    ``language``, else the language of the page being answered). ``headers`` go on each
    (List-Unsubscribe: one recipient's own). Call it inside the transaction of the
    change the email is about. Returns how many emails were queued.
    """
    fallback = language or translation.get_language() or settings.LANGUAGE_CODE
    by_language = {}
    for recipient in recipients:
        if isinstance(recipient, str):
            address, user, lang = recipient, None, fallback
        else:
            address, user, lang = recipient.email, recipient, recipient.language or fallback
        if address:
            by_language.setdefault(lang, []).append((address, user))
    queued = []
    for lang, people in by_language.items():
        subject, body = render(template, context, lang)
        for address, user in people:
            problem = undeliverable(address)
            if problem:
                delivery.fail_unsendable(kind=template, to=address, language=lang,
                                         user=user, error=problem)
                continue
            queued.append(Email(kind=template, to=address, subject=subject, body=body,
                                language=lang, user=user, headers=dict(headers or {})))
    delivery.queue_all(queued)
    return len(queued)
