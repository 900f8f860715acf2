"""Every email accounts sends: one function each, one template pair each."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def _send(template, to, context):
    """Sends one email. A mail server that is down must not turn a change the person
    already made into an error page, so failures are logged (without the address)."""
    context = {"site_url": settings.SITE_URL, "contact": settings.PRIVACY_CONTACT_EMAIL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}_body.txt", context)
    try:
        send_mail(subject, body, None, [to])
    except (OSError, smtplib.SMTPException) as error:
        logger.error("Could not send the %s email: %s", template, type(error).__name__)


def send_password_reset(user, link):
    _send("password_reset", user.email, {"name": user.display_name, "link": link})


def send_goodbye(email, name):
    _send("goodbye", email, {"name": name})


def send_email_changed(old_email, name):
    _send("email_changed", old_email, {"name": name})
