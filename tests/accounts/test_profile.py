from django.core import mail

from accounts.models import Session, User
from tests.conftest import PASSWORD

PROFILE = "/accounts/profile/"


def test_profile_shows_the_three_forms_and_data_links(runner_client):
    page = runner_client.get(PROFILE).content.decode()
    for text in ("Save display name", "Save email", "Change password",
                 "Download my data", "Delete my account"):
        assert text in page


def test_change_display_name(runner_client, runner):
    response = runner_client.post(PROFILE, {"form": "display_name", "display_name": "Ana K."})
    assert response.status_code == 302
    runner.refresh_from_db()
    assert runner.display_name == "Ana K."
    assert "Your display name is saved" in runner_client.get(PROFILE).content.decode()


def test_too_long_display_name_is_refused_and_nothing_changes(runner_client, runner):
    response = runner_client.post(PROFILE, {"form": "display_name", "display_name": "x" * 80})
    assert response.status_code == 400
    assert "at most 50 characters" in response.content.decode()
    runner.refresh_from_db()
    assert runner.display_name == "Ana"


def test_change_email_needs_the_current_password(runner_client, runner):
    response = runner_client.post(
        PROFILE, {"form": "email", "email": "ana@example.org", "current_password": "nope"}
    )
    assert response.status_code == 400
    assert "That is not your current password" in response.content.decode()
    runner.refresh_from_db()
    assert runner.email == "runner@example.com"

    response = runner_client.post(
        PROFILE, {"form": "email", "email": "Ana@Example.org", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    runner.refresh_from_db()
    assert runner.email == "ana@example.org"
    (notice,) = mail.outbox
    assert notice.to == ["runner@example.com"]
    assert "email address of your join run account was changed" in notice.body


def test_email_of_another_account_is_refused(runner_client, runner, outsider):
    response = runner_client.post(
        PROFILE,
        {"form": "email", "email": "OUTSIDER@example.com", "current_password": PASSWORD},
    )
    assert response.status_code == 400
    assert "Another account already uses this email" in response.content.decode()


def test_change_password_keeps_this_browser_and_signs_out_others(client, runner):
    other_browser = client.__class__()
    other_browser.force_login(runner)
    client.force_login(runner)
    new = "another-strong-password-9"
    response = client.post(PROFILE, {
        "form": "password", "old_password": PASSWORD,
        "new_password1": new, "new_password2": new,
    })
    assert response.status_code == 302
    runner.refresh_from_db()
    assert runner.check_password(new)
    assert client.get(PROFILE).status_code == 200
    assert other_browser.get(PROFILE).status_code == 302
    assert Session.objects.filter(user=runner).count() == 1


def test_wrong_current_password_keeps_the_old_one(runner_client, runner):
    response = runner_client.post(PROFILE, {
        "form": "password", "old_password": "wrong",
        "new_password1": "x-strong-password-1", "new_password2": "x-strong-password-1",
    })
    assert response.status_code == 400
    runner.refresh_from_db()
    assert runner.check_password(PASSWORD)


def test_unknown_form_is_a_bad_request(runner_client):
    assert runner_client.post(PROFILE, {"form": "is_staff"}).status_code == 400
    assert runner_client.post(PROFILE, {}).status_code == 400


def test_profile_cannot_make_anyone_staff(runner_client, runner):
    runner_client.post(PROFILE, {"form": "display_name", "display_name": "A", "is_staff": "on"})
    assert not User.objects.get(pk=runner.pk).is_staff


def test_profile_page_does_not_jump_to_the_password_form(runner_client):
    assert "autofocus" not in runner_client.get(PROFILE).content.decode()


def test_guessing_the_current_password_is_paused(runner_client, runner):
    for _ in range(10):
        response = runner_client.post(
            PROFILE, {"form": "email", "email": "thief@example.com", "current_password": "guess"}
        )
        assert response.status_code == 400
    response = runner_client.post(
        PROFILE, {"form": "email", "email": "thief@example.com", "current_password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Try again after" in response.content.decode()
    runner.refresh_from_db()
    assert runner.email == "runner@example.com"


def test_email_change_survives_a_mail_server_that_is_down(runner_client, runner, settings):
    settings.EMAIL_BACKEND = "tests.fakes.broken_mail.EmailBackend"
    response = runner_client.post(
        PROFILE, {"form": "email", "email": "ana@example.org", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    runner.refresh_from_db()
    assert runner.email == "ana@example.org"
