# Strava's models move here from runs, tables and rows as they are: only Django's idea of
# which app owns them changes (runs' 0011 forgets them on its side).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import joinrun.encryption


def content_types_follow(apps, schema_editor):
    """The models' content types (and so any permission granted on them) move with them,
    on a database that had them under runs; a new database makes them after migrating."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("stravaconnection", "activitylink"):
        if not ContentType.objects.filter(app_label="strava", model=model).exists():
            ContentType.objects.filter(app_label="runs", model=model).update(app_label="strava")


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="strava", model__in=(
        "stravaconnection", "activitylink")).update(app_label="runs")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("runs", "0011_strava_moves_out_attendance_is_ours"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StravaConnection",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("athlete_id", models.BigIntegerField(
                            unique=True, verbose_name="Strava athlete id")),
                        ("scope", models.CharField(max_length=200, verbose_name="Granted scope")),
                        ("access_token", joinrun.encryption.EncryptedTextField(null=True)),
                        ("refresh_token", joinrun.encryption.EncryptedTextField(null=True)),
                        ("expires_at", models.DateTimeField(null=True)),
                        ("connected_at", models.DateTimeField(
                            default=django.utils.timezone.now, verbose_name="Connected at")),
                        ("user", models.OneToOneField(
                            on_delete=django.db.models.deletion.CASCADE, related_name="strava",
                            to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"verbose_name": "Strava connection",
                             "db_table": "runs_stravaconnection"},
                ),
                migrations.CreateModel(
                    name="ActivityLink",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("activity_id", models.BigIntegerField(
                            unique=True, verbose_name="Strava activity id")),
                        ("participation", models.OneToOneField(
                            on_delete=django.db.models.deletion.CASCADE,
                            related_name="activity_link", to="runs.participation")),
                    ],
                    options={"db_table": "runs_activitylink"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_go_back),
    ]
