"""The password reset email, built by the task worker rather than in the request.

The reset page does the same work for an address with an account and for one without
(one lookup, the limits' counts, one queued task), so neither its answer nor its speed
tells whether an account exists (the audit's finding 8: the email built inside the
request made it 52 ms against 6). The task carries the account's id, or nothing, never an
address; it finds the account again and queues the email, or drops it.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from . import emails, unproven_connections
from .models import User


@task()
def send_password_reset(user_id):
    """Queues the reset email for the account ``user_id`` (None: nobody to send to, or
    the limits said no). Returns what happened, for the task table."""
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not user.has_usable_password():
        return "no email"
    # SITE_URL, never the request's Host header, so the link cannot point at a host an
    # attacker chose.
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm")
    emails.send_password_reset(
        user, f"{settings.SITE_URL}{path}?uid={uid}&token={token}",
        disconnects_strava=unproven_connections.unproven_strava(user) is not None,
    )
    return "queued"
