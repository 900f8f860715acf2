"""django-tasks-db's worker, which first gives a new task to emails a killed worker left
half-sent (joinrun.outbox.delivery.requeue_stalled). Everything else is the package's."""

from django_tasks_db.management.commands import db_worker

from joinrun.outbox import delivery


class Command(db_worker.Command):
    def handle(self, *args, **options):
        delivery.requeue_stalled()
        return super().handle(*args, **options)
