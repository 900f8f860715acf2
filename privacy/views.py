"""The data-request pages: the form, the status page behind its private link, the
verification link and the export download."""

import contextlib
from datetime import UTC, datetime

from django.core import signing
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from joinrun.client_address import client_key
from joinrun.ratelimit import Limiter
from joinrun.views import render_form, too_many

from . import services
from .forms import DataRequestForm
from .models import DataRequest, Kind, Status, Verification

ANONYMOUS_REQUESTS_PER_HOUR = 5
# An account's request needs no emailed link, but each one still mails the account and
# reaches staff: as many an hour as an anonymous sender gets, and two of one kind (the
# second to add what the first forgot), so a repeated form cannot bury staff, yet an
# access request never stops the erasure request that follows it.
ACCOUNT_REQUESTS_PER_HOUR = ANONYMOUS_REQUESTS_PER_HOUR
ACCOUNT_REQUESTS_PER_KIND_PER_HOUR = 2


def _too_many_requests(request, email):
    """The window that is full, or None after counting this request."""
    for name, key in (("privacy-client", client_key(request)), ("privacy-email", email)):
        limiter = Limiter(name, limit=ANONYMOUS_REQUESTS_PER_HOUR, window=60 * 60)
        if not limiter.hit(key):
            return limiter.current(key)
    return None


def _too_many_from_account(user, kind, contact_email):
    """The window that is full, or None after counting this request; a refused request
    is not counted, so it cannot use up the other kinds."""
    account = str(user.pk)
    limits = [
        (Limiter("privacy-account", limit=ACCOUNT_REQUESTS_PER_HOUR, window=60 * 60),
         (account,)),
        (Limiter("privacy-account-kind", limit=ACCOUNT_REQUESTS_PER_KIND_PER_HOUR,
                 window=60 * 60), (account, kind)),
    ]
    if contact_email:  # an account without an address (Strava) names one, as anyone does
        limits.append((Limiter("privacy-email", limit=ANONYMOUS_REQUESTS_PER_HOUR,
                               window=60 * 60), (contact_email,)))
    for limiter, parts in limits:
        window = limiter.exceeded(*parts)
        if window:
            return window
    for limiter, parts in limits:
        limiter.record(*parts)
    return None


@never_cache
def new_request(request):
    form = DataRequestForm(request.POST if request.method == "POST" else None,
                           user=request.user)
    if request.method != "POST" and request.GET.get("kind") in Kind.values:
        form.initial["kind"] = request.GET["kind"]
    if request.method == "POST" and form.is_valid():
        if request.user.is_authenticated:
            window = _too_many_from_account(request.user, form.cleaned_data["kind"],
                                            form.cleaned_data.get("contact_email"))
        else:
            # The form emails any address it is given: a few an hour from one network or
            # to one address, so it cannot be used to flood someone's inbox.
            window = _too_many_requests(request, form.cleaned_data["contact_email"])
        if window:
            until = datetime.fromtimestamp(window.resets_at, tz=UTC)
            return too_many(request, "privacy/too_many.html", until)
        ticket = services.file_request(form.save(commit=False), user=request.user)
        return redirect(ticket.get_absolute_url())
    return render_form(request, "privacy/request_new.html", form)


def _ticket_from_link(reference, key):
    """The ticket the private link names, or 404: a reference alone opens nothing."""
    ticket = DataRequest.objects.filter(reference=reference[:20]).first()
    if ticket is None or not key or not constant_time_compare(key[:64], ticket.link_key):
        raise Http404
    return ticket


@require_GET
@never_cache
def request_status(request, reference):
    ticket = _ticket_from_link(reference, request.GET.get("key", ""))
    events = ticket.events.all()
    return render(request, "privacy/request_status.html", {"ticket": ticket, "events": events})


@require_http_methods(["GET", "POST"])
@never_cache
def verify_request(request, reference):
    """The emailed link opens a page whose button verifies: a POST, so a mail scanner
    that opens links verifies nothing."""
    ticket = DataRequest.objects.filter(reference=reference[:20]).first()
    data = request.POST if request.method == "POST" else request.GET
    token = data.get("token", "")[:200]
    try:
        if ticket is None:
            raise signing.BadSignature("no such ticket")
        services.check_verification_token(ticket.reference, token)
    except signing.SignatureExpired:
        return render(request, "privacy/verify_failed.html", {"expired": True}, status=400)
    except signing.BadSignature:
        return render(request, "privacy/verify_failed.html", {"expired": False}, status=400)
    if ticket.status != Status.AWAITING_VERIFICATION:  # a second click changes nothing
        return redirect(ticket.get_absolute_url())
    if request.method == "GET":
        return render(request, "privacy/verify_confirm.html", {"ticket": ticket, "token": token})
    # NotPossible: the twin click verified it a moment ago.
    with contextlib.suppress(services.NotPossible):
        services.mark_verified(ticket, how=Verification.EMAIL_LINK)
    return redirect(ticket.get_absolute_url())


@require_GET
@never_cache
def download_export(request, reference):
    ticket = _ticket_from_link(reference, request.GET.get("key", ""))
    path = services.export_file_path(ticket)
    if (path is None or not path.exists() or ticket.export_expires_at is None
            or ticket.export_expires_at <= timezone.now()):
        return render(request, "privacy/export_gone.html", {"ticket": ticket}, status=410)
    response = FileResponse(path.open("rb"), as_attachment=True,
                            filename=f"joinrun-data-{ticket.reference}.json",
                            content_type="application/json; charset=utf-8")
    return response
