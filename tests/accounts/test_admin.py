from io import StringIO

from django.core.management import call_command

from accounts.models import User
from tests.conftest import PASSWORD


def test_staff_search_users_by_email_and_display_name(client, runner, outsider):
    staff = User.objects.create_superuser("staff@example.com", PASSWORD)
    client.force_login(staff)
    page = client.get("/admin/accounts/user/", {"q": "runner@"}).content.decode()
    assert "runner@example.com" in page
    assert "outsider@example.com" not in page
    page = client.get("/admin/accounts/user/", {"q": "Cene"}).content.decode()
    assert "outsider@example.com" in page
    assert client.get(f"/admin/accounts/user/{runner.pk}/change/").status_code == 200


def test_staff_can_add_a_user(client, db):
    client.force_login(User.objects.create_superuser("staff@example.com", PASSWORD))
    assert client.get("/admin/accounts/user/add/").status_code == 200
    response = client.post("/admin/accounts/user/add/", {
        "email": "New@Example.com", "display_name": "New", "usable_password": "true",
        "password1": PASSWORD, "password2": PASSWORD,
    })
    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").check_password(PASSWORD)


def test_runners_cannot_open_the_admin(runner_client):
    assert runner_client.get("/admin/accounts/user/")["Location"].startswith("/admin/login/")


def test_createsuperuser_asks_only_email_and_password(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    out = StringIO()
    call_command("createsuperuser", interactive=False, email="Boss@Example.com", stdout=out)
    assert "Superuser created successfully" in out.getvalue()
    boss = User.objects.get(email="boss@example.com")
    assert boss.is_staff and boss.is_superuser and boss.check_password(PASSWORD)
    assert User.REQUIRED_FIELDS == []
