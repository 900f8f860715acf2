from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class StravaConfig(AppConfig):
    """Strava: its client, connections, activity links and webhook. Listed after runs
    (its links belong to runs' participations), before privacy."""

    name = "strava"

    def ready(self):
        from accounts import unproven_connections
        from joinrun import personal_data

        from . import services
        from .personal_data import SECTION

        personal_data.register(SECTION)
        checks.register(check_strava_settings)
        # A password reset ends a Strava connection made before the address was confirmed;
        # accounts cannot import strava, so strava hands it the way to end one.
        unproven_connections.register(services.disconnect)


def check_strava_settings(app_configs=None, **kwargs):
    """Strava and token-key mistakes stop the site at start-up, not in a runner's request."""
    from cryptography.fernet import Fernet

    errors = []
    for position, key in enumerate(settings.TOKEN_KEYS, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(checks.Error(
                f"TOKEN_KEYS entry {position} is not a Fernet key.",
                hint='Make one with: python3 -c "from cryptography.fernet import Fernet; '
                     'print(Fernet.generate_key().decode())"',
                id="strava.E001",
            ))
    if bool(settings.STRAVA_CLIENT_ID) != bool(settings.STRAVA_CLIENT_SECRET):
        errors.append(checks.Error(
            "Set both STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET, or neither.",
            hint="Both are on your app's page at https://www.strava.com/settings/api.",
            id="strava.E002",
        ))
    if settings.STRAVA_CLIENT_ID and not str(settings.STRAVA_CLIENT_ID).isdigit():
        errors.append(checks.Error("STRAVA_CLIENT_ID is a number.", id="strava.E003"))
    if settings.STRAVA_ATHLETE_CAPACITY < 1:
        errors.append(checks.Error(
            "STRAVA_ATHLETE_CAPACITY is how many athletes the Strava app may connect: 1 or "
            "more.", hint="The app's page at https://www.strava.com/settings/api shows it.",
            id="strava.E004"))
    return errors
