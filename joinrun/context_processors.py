from django.conf import settings


def site(request):
    return {
        "PRIVACY_CONTACT_EMAIL": settings.PRIVACY_CONTACT_EMAIL,
        # Absolute links in pages (canonical, link previews) start here, never at the
        # request's Host header.
        "SITE_URL": settings.SITE_URL,
        # Strava features are hidden while the site has no Strava app configured.
        "STRAVA_ENABLED": bool(settings.STRAVA_CLIENT_ID and settings.STRAVA_CLIENT_SECRET),
    }
