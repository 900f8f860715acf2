"""Sending the site's emails: one template pair per email under templates/emails/."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def send(template, recipients, context=None):
    """Sends one email to each address in ``recipients`` (never one email with several
    addresses on it, so runners do not learn each other's addresses).

    A mail server that is down must not turn a change already made into an error page,
    so failures are logged, without the address.
    """
    context = {"site_url": settings.SITE_URL, "contact": settings.PRIVACY_CONTACT_EMAIL,
               **(context or {})}
    # One line whatever the context holds: a header with a newline is refused.
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    body = render_to_string(f"emails/{template}_body.txt", context)
    messages = [EmailMessage(subject, body, None, [to]) for to in recipients if to]
    if not messages:
        return
    try:
        get_connection().send_messages(messages)
    except (OSError, smtplib.SMTPException) as error:
        logger.error("Could not send the %s email: %s", template, type(error).__name__)


def site_url(path):
    """An absolute link for an email: SITE_URL, never the request's Host header."""
    return f"{settings.SITE_URL}{path}"
