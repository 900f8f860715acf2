from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from joinrun.page_cache import pages_changed


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from joinrun import personal_data

        from .models import Participation, Route, Run
        from .personal_data import SECTIONS

        for section in SECTIONS:
            personal_data.register(section)
        checks.register(check_strava_settings)

        from accounts import unproven_connections
        from clubs import services as club_services

        from . import services, strava

        # Closing a club cancels its future runs; clubs cannot import runs.
        club_services.when_closed(services.cancel_club_runs)

        # A password reset ends a Strava connection made before the address was confirmed;
        # accounts cannot import runs, so runs hands it the way to end one.
        unproven_connections.register(strava.disconnect)

        # Signals, not calls in each view, because runs also change in the admin and by
        # cascades when an account is deleted. QuerySet.update() sends none: the few
        # places that use it call pages_changed() themselves.
        for model in (Run, Participation, Route):
            post_save.connect(pages_changed, sender=model, dispatch_uid=f"pages-{model}")
            post_delete.connect(pages_changed, sender=model, dispatch_uid=f"pages-del-{model}")
        post_save.connect(_display_name_changed, sender=get_user_model(),
                          dispatch_uid="pages-user")


def _display_name_changed(sender, update_fields=None, **kwargs):
    # Organisers' names are on public run pages; a login's last_login update is not.
    if update_fields is None or "display_name" in update_fields:
        pages_changed()


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
                id="runs.E001",
            ))
    if bool(settings.STRAVA_CLIENT_ID) != bool(settings.STRAVA_CLIENT_SECRET):
        errors.append(checks.Error(
            "Set both STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET, or neither.",
            hint="Both are on your app's page at https://www.strava.com/settings/api.",
            id="runs.E002",
        ))
    if settings.STRAVA_CLIENT_ID and not str(settings.STRAVA_CLIENT_ID).isdigit():
        errors.append(checks.Error("STRAVA_CLIENT_ID is a number.", id="runs.E003"))
    return errors
