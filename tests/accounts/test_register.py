"""The personal-data register must name every field that points at or describes a user."""

import re

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model

from joinrun import personal_data


def fields_about_users():
    user_model = get_user_model()
    found = set()
    for model in apps.get_models():
        label = model._meta.label
        for field in model._meta.get_fields():
            if field.auto_created and not field.concrete:
                continue  # reverse relations are declared on the other side
            describes_user = model is user_model and not field.primary_key
            points_at_user = field.is_relation and field.related_model is user_model
            if describes_user or points_at_user:
                found.add((label, field.name))
    return found


# Column names that describe a person wherever they appear (a later model's contact email,
# an address, a Strava athlete id): these must be registered even without a user link.
DESCRIBES_A_PERSON = re.compile(r"email|phone|ip_address|display_name|first_name|last_name|"
                                r"birth|athlete|object_repr")


def fields_describing_people():
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.auto_created and not field.concrete) and (
                DESCRIBES_A_PERSON.search(field.name)
                or field.get_internal_type() == "GenericIPAddressField"
            ):
                found.add((model._meta.label, field.name))
    return found


def test_every_field_about_a_user_is_in_the_register(db):
    registered = {(f.model, f.field) for f in personal_data.fields()}
    missing = (fields_about_users() | fields_describing_people()) - registered
    assert not missing, f"not in the personal-data register: {sorted(missing)}"


def test_register_names_only_fields_that_exist(db):
    for entry in personal_data.fields():
        model = apps.get_model(entry.model)
        assert model._meta.get_field(entry.field)
        assert entry.purpose and entry.retention


def test_the_walk_sees_the_fields_it_must(db):
    found = fields_about_users()
    assert (settings.AUTH_USER_MODEL, "email") in found
    assert ("accounts.Session", "user") in found
    assert ("admin.LogEntry", "user") in found
    assert ("admin.LogEntry", "object_repr") in fields_describing_people()


def test_password_hash_is_registered_but_never_exported(runner):
    (password,) = [f for f in personal_data.fields() if f.field == "password"]
    assert password.exported is False
    assert runner.password not in str(personal_data.export_for(runner))


def test_every_section_exports_and_erases(runner):
    exported = personal_data.export_for(runner)
    for section in personal_data.sections():
        assert section.name in exported
    personal_data.erase_for(runner)
    assert not get_user_model().objects.filter(pk=runner.pk).exists()


def test_every_exported_account_field_is_in_the_export(runner):
    account = personal_data.export_for(runner)["account"]
    for entry in personal_data.fields():
        if entry.model == settings.AUTH_USER_MODEL and entry.exported:
            assert entry.field in account


def test_export_explains_why_each_piece_is_kept(runner):
    explained = personal_data.export_for(runner)["why_we_keep_it"]
    by_name = {item["data"]: item for item in explained}
    assert "To log you in" in by_name["accounts.User.email"]["why"]
    assert "accounts.User.password" not in by_name
