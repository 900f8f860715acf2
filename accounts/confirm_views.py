"""Confirming an address: the emailed link opens a page whose button confirms (a POST, so
a mail scanner opening the link confirms nothing), and "Send the link again"."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from joinrun.views import next_url, too_many

from . import emails, throttle, tokens

TOKEN_MAX_LENGTH = 2000  # far above any token we make (an address is at most 254)
LINKS_PAUSED = gettext_lazy("Too many confirmation links were sent for your account.")


def _link_problem(request, problem):
    return render(request, "accounts/confirm_failed.html", {
        "problem": problem.code,
        "days": tokens.CONFIRM_MAX_AGE.days,
        "may_resend": request.user.is_authenticated and bool(request.user.email)
        and not request.user.email_confirmed,
    }, status=400)


def _confirm_page(request, token, owner, email, *, status=200):
    """The page the link opens. It names what would be confirmed (the address, and the
    account: its display name, and for a sign-up when it was made), so the owner of an
    address someone else signed up with knows to ignore it. Only the account the link is
    for, signed in, gets the button; anyone else is asked to log in to that account."""
    # As the emailed link has it: a token that passed the signature check holds only
    # URL-safe characters (base64url, ":" and ".").
    here = f"{reverse('accounts:confirm_email')}?token={token}"
    return render(request, "accounts/confirm_email.html", {
        "token": token,
        "email": email,
        "owner": owner,
        "new_address": email != owner.email,
        "is_owner": request.user.is_authenticated and request.user.pk == owner.pk,
        "here": here,
        # The token rides in next=, a query string too, so it stays out of the access log.
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': here})}",
    }, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def confirm_email(request):
    """GET shows the page and changes nothing. The POST confirms only for the account
    the link is for, signed in: the owner of an address cannot confirm a sign-up someone
    else made with it (nor take over an account by confirming a mistyped new address),
    because confirming needs that account's password (or its Strava)."""
    data = request.POST if request.method == "POST" else request.GET
    token = data.get("token", "")[:TOKEN_MAX_LENGTH]
    try:
        # Looks, changes nothing: the page says now whether the button can work.
        owner, email = tokens.preview(token)
        if request.method == "GET":
            return _confirm_page(request, token, owner, email)
        if not (request.user.is_authenticated and request.user.pk == owner.pk):
            return _confirm_page(request, token, owner, email, status=403)
        user = tokens.confirm(token, account=request.user)
    except tokens.LinkProblem as problem:
        return _link_problem(request, problem)
    messages.success(request, _("Your email %(email)s is confirmed.") % {"email": user.email})
    return redirect("accounts:profile")


@require_POST
@login_required
def resend_confirmation(request):
    user = request.user
    back_to = next_url(request) or reverse("accounts:profile")
    if not user.email:
        messages.info(request, _("Your account has no email yet: add one below."))
        return redirect("accounts:profile")
    if user.email_confirmed:
        messages.info(request, _("Your email is confirmed already."))
        return redirect(back_to)
    blocked_until = throttle.confirmation_link_blocked_until(user)
    if blocked_until:
        return too_many(request, "accounts/too_many.html", blocked_until,
                        message=LINKS_PAUSED, about_links=True)
    with transaction.atomic():
        emails.send_confirmation(user)
    throttle.record_confirmation_link(user)
    messages.success(request, _("We sent a new link to %(email)s. It works for %(days)s days.")
                     % {"email": user.email, "days": tokens.CONFIRM_MAX_AGE.days})
    return redirect(back_to)
