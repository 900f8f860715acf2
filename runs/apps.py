from django.apps import AppConfig

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

        from clubs import services as club_services

        from . import services

        # Closing a club cancels its future runs; clubs cannot import runs.
        club_services.when_closed(services.cancel_club_runs)

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
