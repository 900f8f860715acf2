from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Every email the site sends, queued in the site's own database and handed to the
    mail server by ``manage.py db_worker`` (django-tasks), with retries."""

    name = "joinrun.outbox"
    label = "outbox"
    verbose_name = "Outgoing email"

    def ready(self):
        from joinrun import personal_data
        from joinrun.admin_input import guard_every_list

        from .personal_data import SECTION

        personal_data.register(SECTION)
        # Last of the site's apps: every admin list is registered by now (the admin
        # reads each app's admin module before any other app is ready).
        guard_every_list()
