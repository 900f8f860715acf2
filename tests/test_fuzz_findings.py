"""What the fuzz test (tests/test_fuzz_no_5xx.py) found, each answered with a 4xx and a
message now instead of a 500, on SQLite and PostgreSQL."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from joinrun.admin_input import FilterInputMixin, guard_every_list
from tests.conftest import PASSWORD
from tests.runs.conftest import make_run

HUGE = "99999999999999999999"


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("staff@example.com", PASSWORD))
    return client


def test_a_route_of_a_run_id_past_64_bits_is_a_404(client, organiser):
    make_run(organiser)
    assert client.get(f"/runs/{HUGE}/route.gpx").status_code == 404


def refused(response):
    return response.status_code == 400 and "That filter cannot be used" in (
        response.content.decode())


@pytest.mark.parametrize("url", ["/admin/runs/run/", "/admin/auth/group/",
                                 "/admin/accounts/user/", "/admin/outbox/email/"])
def test_a_search_longer_than_the_database_can_take_is_refused(staff_client, url):
    response = staff_client.get(url, {"q": "x" * 100_000})
    assert refused(response)
    assert "A search is at most 200 characters long." in response.content.decode()
    assert staff_client.get(url, {"q": "x" * 200}).status_code == 200


@pytest.mark.parametrize("ids", [[HUGE], ["\x00"], ["x", "-1"]])
def test_an_action_on_rows_that_are_not_rows_is_refused(staff_client, ids):
    group = Group.objects.create(name="Helpers")
    response = staff_client.post("/admin/auth/group/", {
        "action": "delete_selected", "_selected_action": ids, "index": "0"})
    assert refused(response)
    assert "The rows chosen for the action are not rows of this list." in (
        response.content.decode())
    assert Group.objects.filter(pk=group.pk).exists()


def test_a_permission_id_past_64_bits_is_a_choice_the_form_refuses(staff_client):
    response = staff_client.post("/admin/auth/group/add/", {"name": "Helpers",
                                                            "permissions": [HUGE]})
    assert response.status_code == 200  # the admin shows its form again, with the error
    assert f"“{HUGE}” is not a valid value." in response.content.decode()
    assert not Group.objects.filter(name="Helpers").exists()
    permission = Permission.objects.get(codename="view_run")
    staff_client.post("/admin/auth/group/add/", {"name": "Helpers",
                                                 "permissions": [permission.pk]})
    assert list(Group.objects.get(name="Helpers").permissions.all()) == [permission]


def test_the_task_queue_list_refuses_a_nul_in_a_filter(staff_client):
    # PostgreSQL's 500 ("text fields cannot contain NUL"); the package's own list.
    response = staff_client.get("/admin/django_tasks_database/dbtaskresult/",
                                {"queue_name": "\x00"})
    assert refused(response)


def test_a_date_filter_without_its_time_zone_is_refused(rf, db):
    # Found on django-otp's lists (since taken out of the admin): a list filtered by a
    # date and time, sent a day without its zone.
    site = admin.AdminSite(name="dates")

    class JoinedAdmin(admin.ModelAdmin):
        list_filter = ["date_joined"]

    site.register(User, JoinedAdmin)
    guard_every_list(site)
    request = rf.get("/", {"date_joined__gte": "9999-12-31"})
    request.user = User.objects.create_superuser("staff@example.com", PASSWORD)
    response = site._registry[User].changelist_view(request)
    response.render()
    assert refused(response)
    assert "A date filter needs its time zone" in response.content.decode()


def test_every_admin_list_answers_odd_input_the_same_way(db):
    unguarded = [model._meta.label for model, model_admin in admin.site._registry.items()
                 if not isinstance(model_admin, FilterInputMixin)]
    assert unguarded == []
    assert DBTaskResult in admin.site._registry
