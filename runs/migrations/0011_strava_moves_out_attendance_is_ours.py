# Strava's models now belong to the strava app (its 0001 takes them over, tables and rows
# as they are). And "was there" becomes join run's own fact: marks a linked Strava activity
# made go, since what others see about a runner must not come from Strava (its API
# agreement); the runner still sees their own linked activity.

from django.db import migrations, models


def forget_marks_from_strava(apps, schema_editor):
    Participation = apps.get_model("runs", "Participation")
    Participation.objects.filter(attended_by="strava").update(attended_at=None, attended_by="")


class Migration(migrations.Migration):

    dependencies = [
        ("runs", "0010_route_drawing_named"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ActivityLink"),
                migrations.DeleteModel(name="StravaConnection"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forget_marks_from_strava, migrations.RunPython.noop,
                             elidable=True),
        migrations.AlterField(
            model_name="participation",
            name="attended_by",
            field=models.CharField(
                blank=True, choices=[("runner", "The runner"), ("organiser", "An organiser")],
                editable=False, max_length=10, verbose_name="Attendance marked by"),
        ),
    ]
