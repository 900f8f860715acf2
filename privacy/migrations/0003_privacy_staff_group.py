"""A ready-made "Privacy staff" group: exactly what the data-request admin needs, so
a member of staff who answers requests is given one group and sees nothing else."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Privacy staff"
# Tickets are entered (add), worked (change) and read (view); never deleted (the admin
# forbids it). Their history shows as a read-only inline, which needs only view.
PERMISSIONS = [
    ("datarequest", "add_datarequest"),
    ("datarequest", "change_datarequest"),
    ("datarequest", "view_datarequest"),
    ("datarequestevent", "view_datarequestevent"),
]


def create_group(apps, schema_editor):
    # Permissions are made after migrations (post_migrate): on a fresh database they do
    # not exist yet, so they are made here first, as post_migrate would.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set([
        Permission.objects.get(content_type__app_label="privacy",
                               content_type__model=model, codename=codename)
        for model, codename in PERMISSIONS
    ])


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("privacy", "0002_identity_check"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_group, remove_group),
    ]
