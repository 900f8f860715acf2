from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Every email the site sends, queued in the site's own database and handed to the
    mail server by ``manage.py db_worker`` (django-tasks), with retries."""

    name = "joinrun.outbox"
    label = "outbox"
    verbose_name = "Outgoing email"

    def ready(self):
        from joinrun import personal_data

        from .admin import guard_task_list
        from .personal_data import SECTION

        personal_data.register(SECTION)
        guard_task_list()
