"""The pages of two-step sign-in: give a code, set up an app, turn it off, new recovery codes."""

from datetime import UTC, datetime

from django import forms
from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice

from joinrun.views import next_url, render_form, too_many

from . import emails, mailbox_proof, passkeys, second_factor, throttle

CODES_PAUSED = _("Wrong codes were entered too often, so this step is paused.")
WRONG_CODE = _("That code is not right. Check the app's current code and try again.")
NEITHER = _("That is neither a current code nor your password.")
NOT_A_CODE = _("That is not a current code from your app or one of your recovery codes.")
NOT_THE_EMAILED_CODE = _("That is not the code we emailed, or it no longer works. Check the "
                         "latest email, or ask for a new code.")
NO_ADDRESS = _("This account has no email address to send the code to. Ask a superuser to add "
               "one in the staff pages.")
CODES_SENT_OFTEN = _("We have emailed as many codes as an hour allows.")
# Stored in the staff pages' history of the account, like the reset command's entry.
TURNED_OFF_MESSAGE = "Second factor turned off by the account itself on My account"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32,
        help_text=_("The 6 digits your authenticator app shows now, or one of your "
                    "recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class SetupForm(CodeForm):
    code = forms.CharField(
        label=_("Code"), max_length=32,
        help_text=_("The 6 digits the app shows for join run, to check it is set up."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class MailboxCodeForm(forms.Form):
    mailbox_code = forms.CharField(
        label=_("Code from the email"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TurnOffForm(forms.Form):
    confirmation = forms.CharField(
        label=_("Code or password"), max_length=128, strip=False,
        help_text=_("A code from your authenticator app, a recovery code, or your password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class StaffTurnOffForm(forms.Form):
    """Staff turn it off with a code only: a password may be what was stolen."""

    confirmation = forms.CharField(
        label=_("Code"), max_length=32,
        help_text=_("A code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


def _go_on(request, default="runs:home"):
    return HttpResponseRedirect(next_url(request) or resolve_url(default))


def _paused(request):
    until = throttle.password_check_blocked_until(request.user)
    if until:
        return too_many(request, "accounts/too_many.html", until, message=CODES_PAUSED)
    return None


def _checked(request, form, field="code"):
    """The device that accepts the form's code, else None with the error on the form."""
    try:
        device = second_factor.check_code(request.user, form.cleaned_data[field])
    except second_factor.Throttled as wait:
        form.add_error(field, wait.wait_message())
        return None
    if device is None:
        throttle.record_failed_password_check(request.user)
        form.add_error(field, WRONG_CODE)
    return device


@sensitive_post_parameters("code")
@login_required
@never_cache
def verify(request):
    """The second step after the password, and before the staff pages."""
    if second_factor.is_verified(request):
        return _go_on(request)
    if not second_factor.has_second_factor(request.user):
        request.session.pop(second_factor.PENDING, None)
        if request.user.is_staff:
            return redirect("accounts:two_factor_setup")
        return _go_on(request)
    has_app = second_factor.has_app(request.user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and has_app:
        paused = _paused(request)
        if paused:
            return paused
        if form.is_valid():
            device = _checked(request, form)
            if device is not None:
                second_factor.mark_verified(request, device)
                if isinstance(device, StaticDevice):
                    _say_codes_left(request)
                return _go_on(request)
    return render_form(request, "accounts/two_factor.html", form, next=next_url(request),
                       has_app=has_app, has_passkey=passkeys.has_any(request.user))


def _say_codes_left(request):
    left = second_factor.recovery_codes_left(request.user)
    messages.warning(request, ngettext(
        "You used a recovery code: %(left)d is left. Make new ones on My account.",
        "You used a recovery code: %(left)d are left. Make new ones on My account.",
        left) % {"left": left})


@sensitive_post_parameters("code", "mailbox_code")
@login_required
@never_cache
def setup(request):
    """Shows the key (as a QR code and as text), confirms it with a code, then shows the
    recovery codes once. GET only makes the unconfirmed key; nothing counts until a code
    confirms it."""
    user = request.user
    # A session that has not given the account's factor (a passkey, for staff) sets up
    # nothing: it could otherwise make itself verified.
    if second_factor.has_second_factor(user) and not second_factor.is_verified(request):
        return redirect("accounts:two_factor")
    if second_factor.has_app(user):
        messages.info(request, _("Two-step sign-in is already on."))
        return redirect("accounts:profile")
    if mailbox_proof.needed(request):
        return _prove_mailbox(request)
    form = SetupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        # Only the key this session showed: not one another session made (or planted).
        device = second_factor.device_being_set_up(request)
        if device is None:  # not shown here, or started again in another session
            return redirect("accounts:two_factor_setup")
        paused = _paused(request)
        if paused:
            return paused
        if form.is_valid():
            if second_factor.confirm_setup(request, device, form.cleaned_data["code"]):
                return _show_codes(request, second_factor.new_recovery_codes(user))
            throttle.record_failed_password_check(user)
            form.add_error("code", WRONG_CODE)
    else:
        device = second_factor.start_setup(request)
    return render_form(request, "accounts/two_factor_setup.html", form,
                       qr_svg=second_factor.qr_svg(device), key=second_factor.key_text(device),
                       next=next_url(request))


def _prove_mailbox(request):
    """Before a member of staff's first factor: the code emailed to the account's address
    (accounts/mailbox_proof.py). A POST with "send" emails one; one with the code proves
    the mailbox for this session, and the setup page follows."""
    form = MailboxCodeForm(request.POST if request.method == "POST" else None)
    back_here = second_factor.with_next("accounts:two_factor_setup", next_url(request))
    if request.method == "POST" and "send" in request.POST:
        if not request.user.email:
            messages.error(request, NO_ADDRESS)
            return redirect(back_here)
        full = mailbox_proof.send(request)
        if full:
            return too_many(request, "accounts/too_many.html",
                            datetime.fromtimestamp(full.resets_at, tz=UTC),
                            message=CODES_SENT_OFTEN)
        messages.success(request, _("We emailed a code to %(email)s.")
                         % {"email": request.user.email})
        return redirect(back_here)
    if request.method == "POST":
        paused = _paused(request)
        if paused:
            return paused
        if form.is_valid():
            if mailbox_proof.check(request, form.cleaned_data["mailbox_code"]):
                return redirect(back_here)
            throttle.record_failed_password_check(request.user)
            form.add_error("mailbox_code", NOT_THE_EMAILED_CODE)
    return render_form(request, "accounts/two_factor_mailbox.html", form,
                       sent=mailbox_proof.sent(request), next=next_url(request),
                       no_address=NO_ADDRESS)


def _show_codes(request, codes):
    # Shown in the answer to the POST only: never stored anywhere for a later page.
    return render(request, "accounts/two_factor_codes.html", {
        "codes": codes, "next": next_url(request) or resolve_url("accounts:profile")})


@sensitive_post_parameters("code")
@login_required
@never_cache
def recovery_codes(request):
    """New recovery codes, for a current code; the old ones stop working."""
    if not second_factor.has_app(request.user):
        return redirect("accounts:profile")
    if not second_factor.is_verified(request):
        return _second_step_first(request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        paused = _paused(request)
        if paused:
            return paused
        if form.is_valid() and _checked(request, form) is not None:
            return _show_codes(request, second_factor.new_recovery_codes(request.user))
    return render_form(request, "accounts/two_factor_new_codes.html", form)


@sensitive_post_parameters("confirmation")
@login_required
@never_cache
def turn_off(request):
    """Turns two-step sign-in off, in a session that gave its code: for a current code
    or the password (staff: a code only)."""
    user = request.user
    if not second_factor.has_app(user):
        return redirect("accounts:profile")
    if not second_factor.is_verified(request):
        return _second_step_first(request)
    form_class = StaffTurnOffForm if user.is_staff else TurnOffForm
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        paused = _paused(request)
        if paused:
            return paused
        if form.is_valid() and _confirmed(request, form):
            second_factor.turn_off(user)
            emails.send_second_factor_off(user)
            LogEntry.objects.log_actions(user_id=user.pk, queryset=[user], action_flag=CHANGE,
                                         change_message=TURNED_OFF_MESSAGE, single_object=True)
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("accounts:profile")
    return render_form(request, "accounts/two_factor_off.html", form)


def _second_step_first(request):
    """A session without the second step (say, signed in before the app was set up)
    changes nothing about the factor: it gives a code first."""
    back_to = request.get_full_path() if request.method == "GET" else ""
    return second_factor.to_second_step(back_to)


def _confirmed(request, form):
    given = form.cleaned_data["confirmation"]
    staff = request.user.is_staff
    if not staff and request.user.has_usable_password() and request.user.check_password(given):
        return True
    try:
        if len(given) <= 32 and second_factor.check_code(request.user, given):
            return True
    except second_factor.Throttled as wait:
        form.add_error("confirmation", wait.wait_message())
        return False
    throttle.record_failed_password_check(request.user)
    form.add_error("confirmation", NOT_A_CODE if staff else NEITHER)
    return False
