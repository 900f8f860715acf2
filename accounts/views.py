import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from joinrun import personal_data
from joinrun.views import next_url, render_form, too_many

from . import (
    emails,
    passkeys,
    second_factor,
    sessions,
    tasks,
    throttle,
    tokens,
    unproven_connections,
)
from .confirm_views import LINKS_PAUSED
from .forms import (
    DeleteAccountForm,
    DisplayNameForm,
    EmailChangeForm,
    EmailSettingsForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    SignupForm,
)
from .models import Session, User, normalize_email

REMEMBER_ME_SECONDS = settings.SESSION_COOKIE_AGE
LOGIN_PAUSED = gettext_lazy("To protect your account, logging in from here is paused.")
PASSWORD_CHECKS_PAUSED = gettext_lazy(
    "Your password was entered wrongly too often, so changes that need it are paused."
)
RESETS_PAUSED = gettext_lazy("Too many reset links were asked for from here.")
SIGNUPS_PAUSED = gettext_lazy("Too many sign-ups came from here.")


def _go_on(request, default="runs:home"):
    return HttpResponseRedirect(next_url(request) or resolve_url(default))


def _too_many(request, until, message):
    return too_many(request, "accounts/too_many.html", until, message=message)


def _posted(request):
    """The submitted data on POST (even when empty, so it is validated), else None."""
    return request.POST if request.method == "POST" else None


@sensitive_post_parameters("password")
@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(_posted(request))
    if request.method == "POST":
        blocked_until = throttle.signup_blocked_until(request)
        if blocked_until:
            return _too_many(request, blocked_until, SIGNUPS_PAUSED)
        if form.is_valid():
            throttle.record_signup(request)
            _sign_up(request, form, language=_page_language())
            # Nobody is signed in, on either path: the same status, cookies and page
            # whether or not the address had an account; only its owner's inbox tells.
            # A new account logs in with its password like any other (also before its
            # address is confirmed), and the confirmation needs that login, so whoever
            # signs up with someone else's address cannot have it confirmed by them.
            sent = reverse("accounts:signup_sent")
            back_to = next_url(request)
            return redirect(f"{sent}?{urlencode({'next': back_to})}" if back_to else sent)
    return render_form(request, "accounts/signup.html", form, next=next_url(request))


def _page_language():
    """The language the sign-up page was shown in: the new account's language."""
    try:
        return translation.get_supported_language_variant(translation.get_language())
    except LookupError:
        return settings.LANGUAGE_CODE


def _sign_up(request, form, *, language):
    """Makes the new account and queues its confirmation link; when the address has an
    account already (also one made a moment ago by a twin request), tells its owner.

    Both paths do the same costly work, so the time of the answer does not tell either:
    exactly one password hash each (the form's similarity check hashes nothing; the new
    account hashes its password, the other path hashes the submitted password once and
    throws the hash away), a lookup and, usually, one queued email."""
    email = form.cleaned_data["email"]
    hashed = False
    try:
        with transaction.atomic():
            if not User.objects.filter(email=email).exists():
                user = form.new_user(language=language)  # the one hash
                hashed = True
                user.save()
                emails.send_confirmation(user)
                return
    except IntegrityError:
        pass
    if not hashed:
        make_password(form.cleaned_data["password"])  # the same work as a new account's
    with transaction.atomic():
        existing = User.objects.filter(email=email).first()
        if existing and existing.is_active and throttle.may_send_address_in_use(
            request, email
        ):
            emails.send_address_in_use(existing)


def signup_sent(request):
    return render(request, "accounts/signup_sent.html", {"next": next_url(request)})


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    back_to = next_url(request)
    if request.user.is_authenticated and request.method == "GET":
        return _go_on(request)
    form = LoginForm(_posted(request), request=request)
    if request.method == "POST":
        email = normalize_email(request.POST.get("email", "")[:254]) or ""
        blocked_until = throttle.login_blocked_until(request, email)
        if blocked_until:
            return _too_many(request, blocked_until, LOGIN_PAUSED)
        if form.is_valid():
            # login() rotates the session key, so a key planted before login is useless.
            login(request, form.user)
            if form.cleaned_data["remember_me"]:
                request.session.set_expiry(REMEMBER_ME_SECONDS)
            # Otherwise SESSION_EXPIRE_AT_BROWSER_CLOSE ends it with the browser.
            throttle.record_successful_login(request, email)
            # A second factor, or staff's first setup of one, comes before anything else.
            return second_factor.after_password(request, form.user, back_to) or _go_on(
                request)
        if form.has_error("__all__", "invalid_login"):
            throttle.record_failed_login(request, email)
    return render_form(request, "accounts/login.html", form, next=back_to)


@require_POST
def logout_view(request):
    logout(request)
    back_to = next_url(request)
    if back_to:
        # "Log out and log in to confirm" on a confirmation page opened while signed in
        # as another account: on to the login page, and from there back to that page.
        return redirect_to_login(back_to, login_url=reverse("accounts:login"))
    # Rendered, not redirected: a message would need a session, and a signed-out
    # visitor gets no cookie.
    return render(request, "accounts/logged_out.html")


@never_cache
def password_reset(request):
    form = PasswordResetForm(_posted(request))
    if request.method == "POST":
        blocked_until = throttle.reset_request_blocked_until(request)
        if blocked_until:
            return _too_many(request, blocked_until, RESETS_PAUSED)
        if form.is_valid():
            email = form.cleaned_data["email"]
            # The same work whether or not an account exists (one lookup, the limits'
            # counts, one queued task: the worker sends the email or drops it) and the
            # same answer, so neither the page nor its speed tells who has an account.
            within_limits = throttle.may_send_reset_email(request, email)
            user_id = User.objects.filter(email=email, is_active=True).values_list(
                "pk", flat=True).first()
            tasks.send_password_reset.enqueue(user_id if within_limits else None)
            return redirect("accounts:password_reset_sent")
    return render_form(request, "accounts/password_reset.html", form)


def password_reset_sent(request):
    return render(request, "accounts/password_reset_sent.html")


def _user_from_reset_link(uid, token):
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    return user if default_token_generator.check_token(user, token) else None


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def password_reset_confirm(request):
    # The token travels in the query string, never the path, so it stays out of the
    # access log; Referrer-Policy keeps it from leaving the site.
    uid = request.GET.get("uid", "")[:64]
    token = request.GET.get("token", "")[:128]
    user = _user_from_reset_link(uid, token)
    if user is None:
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = SetPasswordForm(user, _posted(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            # Whoever had the old password is signed out everywhere.
            Session.objects.filter(user=user).delete()
            if user.email_confirmed_at is None:  # the emailed link proved the mailbox
                user.email_confirmed_at = timezone.now()
                user.save(update_fields=["email_confirmed_at"])
        # After the new password is saved (so the account no longer signs in only with
        # Strava), and outside the transaction: it may call Strava.
        unproven_connections.disconnect_unproven_strava(user)
        return redirect("accounts:password_reset_complete")
    return render_form(request, "accounts/password_reset_confirm.html", form, disconnects_strava=(
        unproven_connections.unproven_strava(user) is not None))


def password_reset_complete(request):
    return render(request, "accounts/password_reset_complete.html")


PROFILE_FORMS = {
    "display_name": lambda request, data: DisplayNameForm(data, instance=request.user),
    "email": lambda request, data: EmailChangeForm(data, user=request.user),
    # An account made with "Sign in with Strava" sets its first password without an old one.
    "password": lambda request, data: (
        PasswordChangeForm if request.user.has_usable_password() else SetPasswordForm
    )(request.user, data),
    "emails": lambda request, data: EmailSettingsForm(data, instance=request.user),
}
PROFILE_SAVED = {
    "display_name": gettext_lazy("Your display name is saved."),
    "password": gettext_lazy("Your password is changed. Other browsers signed in to your account "
                  "have been signed out."),
    "emails": gettext_lazy("Your email settings are saved."),
}
EMAIL_LINK_SENT = gettext_lazy("We sent a link to %(email)s. Your email changes to it when you "
                               "open the link (within %(days)s days).")


# The profile forms that ask for the current password, and the field that holds it.
PASSWORD_CHECKED = {"email": "current_password", "password": "old_password"}


def _save_profile_form(request, which, form):
    if which == "email":
        _request_email_change(request, request.user, form.cleaned_data["email"])
        messages.success(request, EMAIL_LINK_SENT % {
            "email": form.cleaned_data["email"], "days": tokens.CONFIRM_MAX_AGE.days})
        return
    with transaction.atomic():
        form.save()
        if which == "password":
            update_session_auth_hash(request, request.user)
            Session.objects.filter(user=request.user).exclude(
                session_key=request.session.session_key
            ).delete()
    messages.success(request, PROFILE_SAVED[which])


def _request_email_change(request, user, email):
    """Emails the link to the new address; the account keeps its address until the link
    is opened. An address another account has gets its owner a note instead, so this
    page cannot be used to find out who has an account (the requester sees the same)."""
    with transaction.atomic():
        owner = User.objects.filter(email=email).exclude(pk=user.pk).first()
        if owner is None:
            emails.send_confirmation(user, email)
        elif owner.is_active and throttle.may_send_address_in_use(request, email):
            emails.send_address_in_use(owner)
        if user.email_confirmed:
            # Told now, while its owner can still stop it. An address never confirmed
            # (a typo, perhaps) was never shown to be theirs, so it is told nothing.
            emails.send_email_changed(user.email, user)
    throttle.record_confirmation_link(user)


def _profile_pause(request, which):
    """The 429 for a form whose limit is reached, or None."""
    blocked_until = None
    if which == "email":
        blocked_until = throttle.confirmation_link_blocked_until(request.user)
        if blocked_until:
            return too_many(request, "accounts/too_many.html", blocked_until,
                            message=LINKS_PAUSED, about_links=True)
    if which in PASSWORD_CHECKED and request.user.has_usable_password():
        blocked_until = throttle.password_check_blocked_until(request.user)
        if blocked_until:
            return _too_many(request, blocked_until, PASSWORD_CHECKS_PAUSED)
    return None


@sensitive_post_parameters("current_password", "old_password", "new_password1", "new_password2")
@login_required
@never_cache
def profile(request):
    forms = {name: make(request, None) for name, make in PROFILE_FORMS.items()}
    status = 200
    if request.method == "POST":
        which = request.POST.get("form")
        if which not in PROFILE_FORMS:
            return render(request, "400.html", status=400)
        paused = _profile_pause(request, which)
        if paused:
            return paused
        form = forms[which] = PROFILE_FORMS[which](request, request.POST)
        if form.is_valid():
            _save_profile_form(request, which, form)
            return redirect("accounts:profile")
        if which in PASSWORD_CHECKED and form.has_error(
            PASSWORD_CHECKED[which], "password_incorrect"
        ):
            throttle.record_failed_password_check(request.user)
        status = 400
        request.user.refresh_from_db()  # undo the invalid values a ModelForm applied
    return render_profile(request, forms, status=status)


def render_profile(request, forms=None, *, status=200):
    """My account with ``forms`` (their blank ones where not given), for its own forms
    and for passkey renaming (accounts/passkey_views.py), which answer mistakes here."""
    forms = forms or {name: make(request, None) for name, make in PROFILE_FORMS.items()}
    context = {f"{name}_form": form for name, form in forms.items()}
    context["confirm_days"] = tokens.CONFIRM_MAX_AGE.days
    context["sessions"] = sessions.listed(request)
    context["two_factor"] = second_factor.summary(request.user)
    context["passkeys"] = [(passkey, passkeys.last_used_day(passkey))
                           for passkey in passkeys.of(request.user)]
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@never_cache
def export(request):
    data = personal_data.export_for(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"joinrun-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@sensitive_post_parameters("confirmation")
@login_required
@never_cache
def delete(request):
    if request.method == "POST":
        blocked_until = throttle.password_check_blocked_until(request.user)
        if blocked_until:
            return _too_many(request, blocked_until, PASSWORD_CHECKS_PAUSED)
    form = DeleteAccountForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        email, name, language = (request.user.email, request.user.display_name,
                                 request.user.language)
        # One transaction: the goodbye is queued only if the erasure commits, and
        # after erase_for ran, so the erasure of the outbox cannot touch it.
        with transaction.atomic():
            form.delete()
            if email:
                emails.send_goodbye(email, name, language)
        logout(request)
        return render(request, "accounts/deleted.html")
    if form.has_error("confirmation", "password_incorrect"):
        throttle.record_failed_password_check(request.user)
    return render_form(request, "accounts/delete.html", form)


def admin_login(request, extra_context=None):
    """Replaces the admin's own login form: staff log in on the site's login page, with
    its attempt limits and "Remember me"."""
    back_to = next_url(request) or reverse("admin:index")
    if request.user.is_authenticated:
        # Staff need a second factor in this session first; anyone else may not enter.
        to_second_step = second_factor.unverified_staff_redirect(request, back_to)
        if to_second_step:
            return to_second_step
        if second_factor.admin_has_permission(request):
            return redirect(back_to)  # in already (a bookmarked login page, say)
        raise PermissionDenied  # signed in, but not staff
    return redirect_to_login(back_to, login_url=reverse("accounts:login"))
