"""The outbox's one task: the row id is all it carries (no address or text), so the
task table holds nothing personal."""

from django_tasks import task

from . import delivery


@task()
def deliver(email_id):
    return delivery.deliver(email_id)
