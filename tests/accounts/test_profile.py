import re

from django.conf import settings
from django.core import mail

from accounts.models import Session, User
from joinrun.outbox.models import Email
from tests.conftest import PASSWORD

PROFILE = "/accounts/profile/"


def confirm_link(message):
    """The path of the confirmation link in ``message``."""
    return re.search(r"\S+/accounts/confirm/\?token=\S+", message.body)[0].removeprefix(
        settings.SITE_URL)


def press_confirm(client, link):
    path, _, token = link.partition("?token=")
    return client.post(path, {"token": token})


def test_profile_shows_the_four_forms_and_data_links(runner_client):
    page = runner_client.get(PROFILE).content.decode()
    for text in ("Save display name", "Save email", "Emails I get", "Save email settings",
                 "Change password", "Download my data", "Delete my account"):
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
    assert not mail.outbox


def test_a_new_email_takes_effect_only_when_its_link_is_confirmed(runner_client, runner):
    response = runner_client.post(
        PROFILE, {"form": "email", "email": "Ana@Example.org", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    assert "We sent a link to ana@example.org" in runner_client.get(PROFILE).content.decode()
    runner.refresh_from_db()
    assert runner.email == "runner@example.com"  # not yet
    link_email, notice = sorted(mail.outbox, key=lambda m: m.to != ["ana@example.org"])
    assert link_email.to == ["ana@example.org"]
    assert "/accounts/confirm/?token=" in link_email.body
    # The old address is told when the change is asked for, while it can still be stopped.
    assert notice.to == ["runner@example.com"]
    assert "asked to change its email" in notice.body
    assert "/accounts/password-reset/" in notice.body
    assert "ana@example.org" not in notice.body

    response = press_confirm(runner_client, confirm_link(link_email))
    assert response["Location"] == PROFILE
    runner.refresh_from_db()
    assert runner.email == "ana@example.org"
    assert runner.email_confirmed
    assert "Your email ana@example.org is confirmed" in runner_client.get(PROFILE).content.decode()


def test_the_same_email_is_not_a_change(runner_client, runner):
    response = runner_client.post(
        PROFILE, {"form": "email", "email": "runner@example.com", "current_password": PASSWORD}
    )
    assert response.status_code == 400
    assert "This is already your email" in response.content.decode()
    assert not mail.outbox


def test_email_of_another_account_gets_the_same_answer_and_its_owner_a_note(
    runner_client, runner, outsider
):
    response = runner_client.post(
        PROFILE,
        {"form": "email", "email": "OUTSIDER@example.com", "current_password": PASSWORD},
    )
    # The page does not say whether the address has an account; its owner is told.
    assert response.status_code == 302
    assert "We sent a link to outsider@example.com" in runner_client.get(PROFILE).content.decode()
    runner.refresh_from_db()
    assert runner.email == "runner@example.com"
    to_outsider = [m for m in mail.outbox if m.to == ["outsider@example.com"]]
    assert len(to_outsider) == 1
    assert "already belongs to your account" in to_outsider[0].body
    assert "/accounts/confirm/" not in to_outsider[0].body


def test_addresses_we_cannot_send_to_are_refused_next_to_the_field(runner_client, runner):
    for address in ("w@ex\u202eample.com", "a@b\u200e.com"):
        response = runner_client.post(
            PROFILE, {"form": "email", "email": address, "current_password": PASSWORD})
        assert response.status_code == 400
        assert "We cannot send email to this address" in response.content.decode()
    runner.refresh_from_db()
    assert runner.email == "runner@example.com"
    assert not mail.outbox


def test_an_unconfirmed_old_address_is_not_told(client, db):
    from tests.conftest import make_user

    typo = make_user("ana@exmaple.com", "Ana", email_confirmed_at=None)
    client.force_login(typo)
    client.post(PROFILE, {"form": "email", "email": "ana@example.com",
                          "current_password": PASSWORD})
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]


def test_links_for_new_addresses_are_limited(runner_client, runner):
    for n in range(3):
        response = runner_client.post(PROFILE, {"form": "email", "email": f"a{n}@example.org",
                                                "current_password": PASSWORD})
        assert response.status_code == 302
    response = runner_client.post(PROFILE, {"form": "email", "email": "a9@example.org",
                                            "current_password": PASSWORD})
    assert response.status_code == 429
    assert "Too many confirmation links" in response.content.decode()
    assert not any(m.to == ["a9@example.org"] for m in mail.outbox)


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
    # The link waits in the queue for the mail server to come back.
    link = Email.objects.get(kind="confirm_email")
    assert link.to == "ana@example.org"
    assert link.status == Email.Status.QUEUED
    assert link.user_id == runner.pk  # leaves with the account if it is erased first


def test_an_unconfirmed_address_entered_again_gets_a_fresh_link(client, db):
    from tests.conftest import make_user

    nina = make_user("nina@example.com", "Nina", email_confirmed_at=None)
    client.force_login(nina)
    response = client.post(PROFILE, {"form": "email", "email": "nina@example.com",
                                     "current_password": PASSWORD})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["nina@example.com"]
    press_confirm(client, confirm_link(message))
    nina.refresh_from_db()
    assert nina.email_confirmed
