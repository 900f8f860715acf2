"""Passkey pages and the JSON calls the browser makes (accounts/passkeys.py).

The four ceremony calls are django-otp-webauthn's views with join run's rules: a refused
call says why in the reader's language, and an answer of any shape gets a 4xx, never a
500; a visitor's challenge needs no session (accounts/passkeys.py) and signs in once;
signing in with a passkey is a sign-in like any other (a new session key, the session
ends with the browser); a passkey given at the second step ends that step; a member of
staff's first passkey ends their other sessions, as an app's setup does; the owner is
emailed when a passkey is added; and an account has at most MOST_PASSKEYS.
"""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.db import DataError, IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions, views
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers import bytes_to_base64url

from joinrun.text import one_line

from . import emails, mailbox_proof, passkeys, second_factor
from . import views as account_views
from .models import Session


class TooMany(exceptions.OTPWebAuthnApiError):
    status_code = 400
    default_code = "too_many_passkeys"


class MailboxFirst(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "mailbox_first"


class NoCsrfCookie(exceptions.OTPWebAuthnApiError):
    status_code = 400
    default_code = "no_csrf_cookie"


# What the person reads when a call is refused, in their language, by the package's codes.
SAID = {
    "malformed_request": gettext_lazy("Your browser's answer could not be read. Please try "
                                      "again."),
    "unprocessable_request": gettext_lazy("Your browser's answer could not be read. Please "
                                          "try again."),
    "invalid_state": gettext_lazy("That took too long, or was already used. Please try "
                                  "again."),
    "no_csrf_cookie": gettext_lazy("Please reload the page and try again."),
    "credential_not_found": gettext_lazy("join run does not know this passkey: it may have "
                                         "been removed. Sign in with your password."),
    "credential_disabled": gettext_lazy("join run does not know this passkey: it may have "
                                        "been removed. Sign in with your password."),
    "credential_user_mismatch": gettext_lazy("This passkey belongs to another account."),
    "user_disabled": gettext_lazy("This account cannot sign in."),
    "not_authenticated": gettext_lazy("Please sign in first."),
    "user_not_verified": gettext_lazy("Give your second step (a code from your app or a "
                                      "passkey) first, then add the passkey."),
    "mailbox_first": gettext_lazy("First enter the code we email you, on the setup page."),
    "too_many_passkeys": gettext_lazy("You have as many passkeys as an account can have. "
                                      "Remove one you no longer use first."),
}
SOMETHING_FAILED = gettext_lazy("That did not work. Please try again.")
# binascii.Error is a ValueError. The database refuses the same passkey for a second
# account (its id is unique) and a use counter past 2**31 on PostgreSQL.
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, RecursionError,
              IntegrityError, DataError)


class InOurWords:
    """A refused call answers in join run's words and the reader's language (the
    package's own messages are English and technical). What the package and py_webauthn
    let through from a browser's answer of the wrong shape (a body nested a hundred
    thousand deep, a user handle that is not base64) is a 400 too, never a 500."""

    def handle_exception(self, exc):
        if isinstance(exc, UNREADABLE):
            exc = exceptions.MalformedRequest()
        if isinstance(exc, exceptions.OTPWebAuthnApiError):
            return JsonResponse({"detail": str(SAID.get(exc.code, SOMETHING_FAILED)),
                                 "code": exc.code}, status=exc.status_code)
        return super().handle_exception(exc)


class BeginRegistration(InOurWords, views.BeginCredentialRegistrationView):
    def check_can_register(self):
        if mailbox_proof.needed(self.request):
            raise MailboxFirst()  # a member of staff's first factor (accounts/mailbox_proof.py)
        if not passkeys.may_add_more(self.request.user):
            raise TooMany()

    def user_is_mfa_enrolled(self, user):
        # A runner whose passkeys are a way to sign in (not a second step) adds another
        # without giving one first; an account with a second factor gives it first.
        return second_factor.has_second_factor(user)


class CompleteRegistration(InOurWords, views.CompleteCredentialRegistrationView):
    check_can_register = BeginRegistration.check_can_register
    user_is_mfa_enrolled = BeginRegistration.user_is_mfa_enrolled

    def post(self, *args, **kwargs):
        user = self.request.user
        had_a_factor = second_factor.has_second_factor(user)
        response = super().post(*args, **kwargs)
        passkey = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
        if not had_a_factor and second_factor.has_second_factor(user):
            # A member of staff's first factor: as after setting up an app, every other
            # session (signed in with the password alone) ends, and this one is verified
            # under a new key.
            Session.objects.filter(user=user).exclude(
                session_key=self.request.session.session_key).delete()
            second_factor.mark_verified(self.request, passkey)
        emails.send_passkey_added(user, passkey)
        messages.success(self.request, _(
            "Passkey added. You can now sign in with it, without your password."))
        return response


class BeginAuthentication(InOurWords, views.BeginCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        if self.get_user() is not None:
            return super().post(*args, **kwargs)
        # A visitor: a challenge made, not kept (accounts/passkeys.py).
        helper = self.get_helper()
        helper.challenge = passkeys.visitor_challenge(self.request)
        if helper.challenge is None:
            raise NoCsrfCookie()
        options, _state = helper.authenticate_begin(user=None, require_user_verification=True)
        return JsonResponse(options)


class CompleteAuthentication(InOurWords, views.CompleteCredentialAuthenticationView):
    def get_state(self):
        if self.get_user() is not None:
            return super().get_state()
        self.visitor_challenge = passkeys.signed_visitor_challenge(self.request,
                                                                   self.request.data)
        if self.visitor_challenge is None:
            raise exceptions.InvalidState()
        return {"challenge": bytes_to_base64url(self.visitor_challenge),
                "require_user_verification": True}

    def complete_auth(self, device):
        if self.request.user.is_authenticated:
            # The second step, given with a passkey.
            second_factor.mark_verified(self.request, device)
            return
        if not passkeys.first_use(self.visitor_challenge):  # a replayed answer
            raise exceptions.InvalidState()
        user = authenticate(self.request, webauthn_credential=device)
        if user is None:
            raise exceptions.UserDisabled()
        # login() gives the session a new key; without "Remember me" it ends with the
        # browser, as after a password.
        login(self.request, user, backend="accounts.backends.PasskeyBackend")
        second_factor.mark_verified(self.request, device)


# The browser's messages for the two scripts, in the reader's language (the package's
# own, with join run's Slovenian in locale/).
catalog = JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])


class NameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=passkeys.NAME_LENGTH,
                           validators=[one_line])


@require_POST
@login_required
def rename(request, passkey_id):
    passkey = get_object_or_404(WebAuthnCredential, pk=passkey_id, user=request.user)
    form = NameForm(request.POST)
    if not form.is_valid():
        # My account again, with what was wrong: a 400, the passkey's name unchanged.
        for error in form.errors.get("name", []):
            messages.error(request, _("The passkey keeps its name: %(error)s")
                           % {"error": error})
        return account_views.render_profile(request, status=400)
    passkeys.rename(passkey, form.cleaned_data["name"])
    messages.success(request, _("The passkey is now called “%(name)s”.")
                     % {"name": form.cleaned_data["name"]})
    return redirect(_on_account())


@require_POST
@login_required
def remove(request, passkey_id):
    passkey = get_object_or_404(WebAuthnCredential, pk=passkey_id, user=request.user)
    # Staff remove a factor only in a session that gave one.
    if request.user.is_staff and not second_factor.is_verified(request):
        return second_factor.to_second_step("")
    name = passkey.name
    with transaction.atomic():
        passkeys.remove(passkey)
        emails.send_passkey_removed(request.user, name)
    messages.success(request, _("Passkey “%(name)s” removed. It no longer signs you in.")
                     % {"name": name})
    return redirect(_on_account())


def _on_account():
    return reverse("accounts:profile") + "#passkeys"
