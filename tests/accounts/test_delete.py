import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail

from accounts import emails
from accounts.models import Session, User
from joinrun.outbox.models import Email
from tests.conftest import PASSWORD

DELETE = "/accounts/delete/"


def test_delete_page_asks_for_the_password(runner_client):
    page = runner_client.get(DELETE).content.decode()
    assert ">Password</label>" in page
    assert "Delete my account" in page


def test_wrong_password_keeps_the_account(runner_client, runner):
    response = runner_client.post(DELETE, {"confirmation": "wrong"})
    assert response.status_code == 400
    assert "That is not your password" in response.content.decode()
    assert User.objects.filter(pk=runner.pk).exists()
    assert runner_client.get("/accounts/profile/").status_code == 200


def test_delete_erases_the_person_everywhere(client, runner, outsider):
    other_browser = client.__class__()
    other_browser.force_login(runner)
    client.force_login(runner)
    staff = User.objects.create_superuser("staff@example.com", PASSWORD)
    LogEntry.objects.log_actions(
        staff.pk, [runner], CHANGE, change_message="Changed display name."
    )

    response = client.post(DELETE, {"confirmation": PASSWORD})

    assert response.status_code == 200
    assert "Your account is deleted" in response.content.decode()
    assert not User.objects.filter(email="runner@example.com").exists()
    assert not Session.objects.filter(user_id=runner.pk).exists()
    assert not LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(runner.pk)
    ).exists()
    assert other_browser.get("/accounts/profile/").status_code == 302
    assert client.get("/accounts/profile/").status_code == 302
    assert User.objects.filter(pk=outsider.pk).exists()
    (goodbye,) = mail.outbox
    assert goodbye.to == ["runner@example.com"]
    assert "your join run account is deleted" in goodbye.body


def test_deleted_account_cannot_log_in(client, runner):
    client.force_login(runner)
    client.post(DELETE, {"confirmation": PASSWORD})
    response = client.post(
        "/accounts/login/", {"email": "runner@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400


def test_account_without_password_confirms_by_typing_delete(client, db):
    user = User.objects.create_user(None, None, display_name="Strava runner")
    client.force_login(user)
    page = client.get(DELETE).content.decode()
    assert "Type DELETE to confirm" in page
    assert client.post(DELETE, {"confirmation": "delete please"}).status_code == 400
    assert User.objects.filter(pk=user.pk).exists()
    assert client.post(DELETE, {"confirmation": "DELETE"}).status_code == 200
    assert not User.objects.filter(pk=user.pk).exists()
    assert mail.outbox == []


def test_delete_needs_an_account(client, db):
    assert client.post(DELETE, {"confirmation": "DELETE"}).status_code == 302


def every_stored_value():
    from django.apps import apps

    for model in apps.get_models():
        for row in model.objects.values():
            yield from (str(value) for value in row.values())


def test_after_deletion_no_table_names_the_person(client, db):
    person = User.objects.create_user(
        "zyxwa.qorvath@example.net", PASSWORD, display_name="Zyxwa Qorvath"
    )
    client.force_login(person)
    client.get("/accounts/profile/")
    client.post("/accounts/profile/", {"form": "display_name", "display_name": "Zyxwa Q."})
    assert any("Zyxwa" in value for value in every_stored_value())

    client.post(DELETE, {"confirmation": PASSWORD})

    leftovers = [v for v in every_stored_value() if "zyxwa" in v.lower() or "qorvath" in v]
    assert leftovers == []


def test_guessing_the_password_to_delete_is_paused(runner_client, runner):
    for _ in range(10):
        assert runner_client.post(DELETE, {"confirmation": "guess"}).status_code == 400
    assert runner_client.post(DELETE, {"confirmation": PASSWORD}).status_code == 429
    assert User.objects.filter(pk=runner.pk).exists()


def test_deletion_completes_when_the_mail_server_is_down(runner_client, runner, settings):
    settings.EMAIL_BACKEND = "tests.fakes.broken_mail.EmailBackend"
    response = runner_client.post(DELETE, {"confirmation": PASSWORD})
    assert response.status_code == 200
    assert "Your account is deleted" in response.content.decode()
    assert not User.objects.filter(pk=runner.pk).exists()


def test_the_goodbye_is_queued_after_the_erasure_and_kept(client, runner, monkeypatch):
    seen = []
    real_send_goodbye = emails.send_goodbye

    def send_goodbye(*args, **kwargs):
        seen.append(User.objects.filter(pk=runner.pk).exists())  # erased already?
        return real_send_goodbye(*args, **kwargs)

    monkeypatch.setattr(emails, "send_goodbye", send_goodbye)
    client.force_login(runner)
    client.post(DELETE, {"confirmation": PASSWORD})
    assert seen == [False]
    assert Email.objects.filter(kind="goodbye").count() == 1
    (goodbye,) = mail.outbox
    assert goodbye.to == ["runner@example.com"]


def test_a_goodbye_that_cannot_be_queued_keeps_the_account(client, runner, monkeypatch):
    # One transaction: the erasure and its goodbye commit together, or neither does.
    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is unavailable")

    monkeypatch.setattr(emails, "send_goodbye", broken)
    client.force_login(runner)
    with pytest.raises(RuntimeError):
        client.post(DELETE, {"confirmation": PASSWORD})
    assert User.objects.filter(pk=runner.pk).exists()
    assert client.get("/accounts/profile/").status_code == 200
