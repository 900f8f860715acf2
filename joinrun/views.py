from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


def next_url(request):
    """The page to return to (after logging in, or connecting Strava): a path on this
    site from ``next``, or ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def render_form(request, template, form, **context):
    """The page with its form: 200 when fresh, 400 when a submitted form has errors."""
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, template, {"form": form, **context}, status=status)


def too_many(request, template, until, **context):
    """429 with the time to try again, in words (``until`` in the template) and in
    Retry-After."""
    response = render(request, template, {"until": until, **context}, status=429)
    response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds()) + 1))
    return response


@never_cache
def healthz(request):
    """200 when the app and its database answer; load balancers poll this."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def csrf_failure(request, reason=""):
    # The reason is Django's technical wording; the page explains it in plain words.
    return render(request, "403_csrf.html", status=403)
