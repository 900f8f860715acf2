"""``manage.py outbox_housekeeping`` (cron, every 10 minutes): requeues what a stopped
worker left, deletes sent emails after 7 days, failed ones after 30, and old task rows."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from joinrun.outbox import delivery
from joinrun.outbox.models import Email

pytestmark = pytest.mark.queue_only


def email(status, *, days_old, **fields):
    created = timezone.now() - timedelta(days=days_old)
    fields.setdefault("sent_at", created if status == "sent" else None)
    return Email.objects.create(kind="goodbye", to="" if status == "sent" else "a@example.com",
                                language="en", status=status, created_at=created, **fields)


@pytest.fixture
def outbox(db):
    """A week's worth of outbox: old and recent sent and failed emails, one left half-sent
    by a worker whose claim ran out, and task rows old and new."""
    rows = {
        "old sent": email("sent", days_old=8),
        "recent sent": email("sent", days_old=6),
        "old failed": email("failed", days_old=31),
        "recent failed": email("failed", days_old=29),
        "stalled": email("sending", days_old=0, attempts=1, claimed_by="elsewhere:1",
                         claimed_until=timezone.now() - timedelta(minutes=1)),
    }
    from joinrun.outbox.tasks import deliver

    for days in (8, 8, 1):
        result = deliver.enqueue(rows["old sent"].pk).db_result
        result.set_successful("sent")
        DBTaskResult.objects.filter(pk=result.pk).update(
            enqueued_at=timezone.now() - timedelta(days=days))
    waiting = deliver.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(0)
    DBTaskResult.objects.filter(pk=waiting.id).update(
        enqueued_at=timezone.now() - timedelta(days=8))
    return rows


def housekeeping(*args):
    out = StringIO()
    call_command("outbox_housekeeping", *args, stdout=out)
    return out.getvalue()


def test_housekeeping_requeues_the_stalled_and_deletes_what_is_past_keeping(outbox):
    out = housekeeping()

    assert out.strip() == ("Requeued 1 email(s), deleted 2 old email(s) and 2 finished "
                           "task row(s).")
    left = set(Email.objects.values_list("pk", flat=True))
    assert left == {outbox[name].pk for name in ("recent sent", "recent failed", "stalled")}
    assert Email.objects.get(pk=outbox["stalled"].pk).status == "queued"
    # The recent finished task, the waiting one and the stalled email's new one stay.
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 2


def test_housekeeping_twice_does_nothing_the_second_time(outbox):
    housekeeping()
    assert housekeeping().strip() == ("Requeued 0 email(s), deleted 0 old email(s) and 0 "
                                      "finished task row(s).")


def test_a_dry_run_changes_nothing(outbox):
    emails = list(Email.objects.values_list("pk", "status"))
    tasks = DBTaskResult.objects.count()

    assert housekeeping("--dry-run").strip() == (
        "[dry run] would have: Requeued 1 email(s), deleted 2 old email(s) and 2 finished "
        "task row(s).")

    assert list(Email.objects.values_list("pk", "status")) == emails
    assert DBTaskResult.objects.count() == tasks


def test_a_requeued_email_is_then_sent_by_its_new_task(outbox, smtp):
    Email.objects.filter(pk=outbox["stalled"].pk).update(subject="Goodbye", body="Bye")
    housekeeping()

    (task,) = [t for t in DBTaskResult.objects.filter(status="READY")
               if t.args_kwargs["args"] == [outbox["stalled"].pk]]
    assert task.task.call(*task.args_kwargs["args"]) == "sent"
    assert smtp.recipients() == ["a@example.com"]
    assert delivery.deliver(outbox["stalled"].pk) == "skipped"
