# Reminders go out about 24 hours before a run (runs/reminders.py). The task that sends
# them may run twice (a retried task, the cron sweep beside it) and a run may move after
# its reminder went out: remembering the start time a reminder was sent for makes sending
# idempotent for that start and lets a new start get its own. A fact about the run, not
# about a person.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("runs", "0002_strava"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="reminder_sent_for",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
