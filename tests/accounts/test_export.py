import json

from django.utils import timezone

from accounts.models import Session


def test_export_downloads_everything_about_me(runner_client, runner):
    response = runner_client.get("/accounts/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    expected_name = f"joinrun-data-{timezone.localdate():%Y-%m-%d}.json"
    assert response["Content-Disposition"] == f'attachment; filename="{expected_name}"'
    data = json.loads(response.content)
    assert data["account"]["email"] == "runner@example.com"
    assert data["account"]["display_name"] == "Ana"
    assert data["account"]["has_password"] is True
    assert len(data["sessions"]) == 1
    assert data["staff_actions"] == []


def test_export_never_holds_secrets(runner_client, runner):
    body = runner_client.get("/accounts/export/").content.decode()
    assert runner.password not in body
    assert runner.password.split("$")[-1] not in body
    for session in Session.objects.filter(user=runner):
        assert session.session_key not in body


def test_export_holds_only_my_data(runner_client, outsider):
    body = runner_client.get("/accounts/export/").content.decode()
    assert "outsider@example.com" not in body
    assert "Cene" not in body


def test_export_needs_an_account(client, db):
    assert client.get("/accounts/export/")["Location"].startswith("/accounts/login/")


def test_export_is_not_cached(runner_client):
    assert "no-store" in runner_client.get("/accounts/export/")["Cache-Control"]
