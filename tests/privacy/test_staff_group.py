"""The ready-made "Privacy staff" group (a data migration): a member of staff in only
that group can answer data requests in the admin and reach nothing else there."""

from importlib import import_module

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from privacy.models import DataRequest, Kind
from tests.conftest import make_user

migration = import_module("privacy.migrations.0003_privacy_staff_group")
TICKETS = "/admin/privacy/datarequest/"


def historical_apps():
    """The models as the migration sees them."""
    state = MigrationExecutor(connection).loader.project_state(
        ("privacy", "0003_privacy_staff_group"))
    return state.apps


@pytest.fixture
def privacy_staff_group(db):
    # Browser tests (live server) empty the database after themselves, rows made by
    # migrations included; then the group is made again the way the migration makes it.
    if not Group.objects.filter(name="Privacy staff").exists():
        migration.create_group(historical_apps(), None)
    return Group.objects.get(name="Privacy staff")


@pytest.fixture
def privacy_client(client, privacy_staff_group):
    member = make_user("privacy@example.com", "Pia", is_staff=True)
    member.groups.add(privacy_staff_group)
    client.force_login(member)
    return client


def test_the_group_holds_exactly_the_data_request_permissions(privacy_staff_group):
    held = sorted(privacy_staff_group.permissions.values_list(
        "content_type__app_label", "codename"))
    assert held == [
        ("privacy", "add_datarequest"), ("privacy", "change_datarequest"),
        ("privacy", "view_datarequest"), ("privacy", "view_datarequestevent"),
    ]


def test_a_member_can_list_enter_and_work_tickets(privacy_client):
    ticket = DataRequest(kind=Kind.ACCESS, contact_email="someone@example.com")
    ticket.save()
    assert privacy_client.get(TICKETS).status_code == 200
    assert privacy_client.get(f"{TICKETS}add/").status_code == 200
    page = privacy_client.get(f"{TICKETS}{ticket.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' in page.content.decode()  # may change, not only view
    assert page.context["inline_admin_formsets"]  # the ticket's history is shown


def test_a_member_sees_only_data_requests_in_the_admin(privacy_client):
    index = privacy_client.get("/admin/")
    assert [app["app_label"] for app in index.context["app_list"]] == ["privacy"]
    for url in ["/admin/runs/run/", "/admin/accounts/user/", "/admin/auth/group/",
                "/admin/clubs/club/", f"{TICKETS}1/delete/"]:
        assert privacy_client.get(url).status_code in (403, 404), url


def test_the_migration_can_be_undone_and_done_again(privacy_staff_group):
    apps = historical_apps()
    migration.remove_group(apps, None)
    assert not Group.objects.filter(name="Privacy staff").exists()
    migration.create_group(apps, None)
    migration.create_group(apps, None)  # running again changes nothing
    assert Group.objects.get(name="Privacy staff").permissions.count() == 4
