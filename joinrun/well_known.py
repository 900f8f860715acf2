"""What a real site answers at fixed addresses: /favicon.ico, /apple-touch-icon.png,
/robots.txt, the web app manifest, /.well-known/security.txt (RFC 9116) and
/.well-known/change-password.

None of them writes the session or makes a CSRF token, so none sets a cookie; each says how
long it may be kept. Addresses are reversed by name (joinrun imports no app).
"""

from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_safe

DAY = 24 * 60 * 60
# The brand colour of static/css/site.css (--brand): the phone's bar and the icon's disc.
BRAND_COLOUR = "#0b5e3c"
# The phone's bar in the dark scheme (base.html): the dark --surface, the header's colour.
DARK_BAR_COLOUR = "#161e1a"
# What shows behind the icon while an installed site starts. A manifest has one, for both
# schemes: the brand colour (the icon's disc, with its white mark) is neither a white flash
# in the dark nor a black one in the light.
SPLASH_COLOUR = BRAND_COLOUR
# security.txt's Expires is this far ahead of each request (RFC 9116 asks for less than a
# year), so the file never goes stale while the site runs.
SECURITY_TXT_LIFETIME = timedelta(days=180)

# Crawlers may read the public pages (runs, clubs, the policy); everything personal, and
# every calendar file, stays out. A private feed carries its secret in the query string,
# but its address must not be tried or listed either.
ROBOTS_DISALLOWED = (
    "/accounts/",
    "/admin/",
    "/strava/",
    "/privacy/requests/",
    "/calendar/",
    "/runs/new/",
    "/runs/mine/",
    "/runs/*/edit/",
    "/runs/*/runners/",
    "/runs/*/check-in/",
    "/runs/*/message/",
    "/runs/*/runners.csv",
    "/runs/*.ics",
    "/runs/*/route",  # GPX files of up to 5 MB, and the organiser's route actions
    "/clubs/new/",
    "/clubs/unsubscribe/",
    "/clubs/*/edit/",
    "/clubs/*/invitation/",
    "/clubs/*/calendar.ics",
)


def _cached_for(response, seconds):
    patch_cache_control(response, public=True, max_age=seconds)
    return response


def _plain_text(body):
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@cache
def _icon_bytes(name):
    with open(finders.find(f"icons/{name}"), "rb") as icon:
        return icon.read()


@require_safe
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page links; the <link>s name the SVG.
    return _cached_for(HttpResponse(_icon_bytes("favicon.ico"), content_type="image/x-icon"),
                       7 * DAY)


@require_safe
def apple_touch_icon(request):
    # Some clients (link previews, an iPhone's home screen) ask for /apple-touch-icon.png
    # and its "-precomposed" twin without reading the page's <link>.
    icon = HttpResponse(_icon_bytes("apple-touch-icon.png"), content_type="image/png")
    return _cached_for(icon, 7 * DAY)


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOWED]
    return _cached_for(_plain_text("\n".join(lines) + "\n"), DAY)


@require_safe
def manifest(request):
    icons = [
        {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {"src": static("icons/icon-maskable-512.png"), "sizes": "512x512",
         "type": "image/png", "purpose": "maskable"},
    ]
    body = {
        "name": "join run",
        "short_name": "join run",
        "description": gettext("Group runs near you: join, organise, run together. No tracking."),
        "lang": get_language(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": BRAND_COLOUR,
        "background_color": SPLASH_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(body, content_type="application/manifest+json",
                            json_dumps_params={"ensure_ascii": False})
    return _cached_for(response, DAY)


@require_safe
def security_txt(request, *, now=None):
    expires = (now or timezone.now()) + SECURITY_TXT_LIFETIME
    lines = [
        f"Contact: mailto:{settings.PRIVACY_CONTACT_EMAIL}",
        f"Expires: {expires.strftime('%Y-%m-%dT00:00:00Z')}",
        "Preferred-Languages: en, sl",
        f"Canonical: {settings.SITE_URL}{request.path}",
    ]
    return _cached_for(_plain_text("\n".join(lines) + "\n"), DAY)


@require_safe
def change_password(request):
    # A password manager's "change password" button (W3C's well-known URL) lands on the
    # account page's password form. Signed out, the login page brings the person back
    # here (a #fragment in its "next" would never reach the server), and so to the form.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return HttpResponseRedirect(reverse("accounts:profile") + "#password-heading")
