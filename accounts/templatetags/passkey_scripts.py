"""{% passkey_scripts %}: what a page with a passkey button loads (accounts/passkeys.py):
the calls' addresses and the CSRF token as JSON data (no inline script), the messages in
the reader's language, django-otp-webauthn's two scripts and join run's own."""

from django import template
from django.middleware import csrf
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("accounts/includes/passkey_scripts.html", takes_context=True)
def passkey_scripts(context, ceremony):
    """``ceremony``: "sign-in" (a button that signs in, or gives the second step) or
    "add" (a button that adds a passkey)."""
    request = context["request"]
    return {"adds": ceremony == "add", "configuration": {
        # No sign-in offered from the email field's autofill: only the button asks.
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": reverse("accounts:passkey_sign_in_begin"),
        "completeAuthenticationUrl": reverse("accounts:passkey_sign_in_complete"),
        "beginRegistrationUrl": reverse("accounts:passkey_add_begin"),
        "completeRegistrationUrl": reverse("accounts:passkey_add_complete"),
    }}
