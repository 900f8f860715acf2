"""Staff's view of outgoing email: kind, status, attempts, next try and last error, never
the address or the text; "Try again now"; nobody else gets in."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from joinrun.outbox import delivery
from joinrun.outbox.models import Email
from tests.conftest import PASSWORD

pytestmark = pytest.mark.queue_only

EMAILS = "/admin/outbox/email/"
ADDRESS = "secret-ana@example.com"
SUBJECT = "Cancelled: Zebra crossing loop"
BODY = "The organiser's reason: flamingo migration"


@pytest.fixture
def email(db):
    return delivery.queue(kind="run_cancelled", to=ADDRESS, subject=SUBJECT, body=BODY,
                          language="en", headers={"Message-ID": "<1.2@join.run.example>"})


@pytest.fixture
def failed_email(email):
    Email.objects.filter(pk=email.pk).update(status="failed", attempts=28,
                                             last_error="ConnectionRefusedError")
    return Email.objects.get(pk=email.pk)


def staff_with(client, *codenames):
    staff = User.objects.create_user("staff@example.com", PASSWORD, display_name="Staff",
                                     is_staff=True)
    for codename in codenames:
        staff.user_permissions.add(Permission.objects.get(codename=codename,
                                                          content_type__app_label="outbox"))
    client.force_login(staff)
    return client


@pytest.fixture
def staff_client(client, db):
    """Staff who may look at outgoing email and send it again, and nothing more."""
    return staff_with(client, "view_email", "retry_email")


def test_staff_who_may_only_look_cannot_send_again(client, failed_email):
    viewer = staff_with(client, "view_email")
    page = viewer.get(EMAILS).content.decode()
    assert "Try again now" not in page
    viewer.post(EMAILS, {"action": "try_again_now", "_selected_action": [failed_email.pk]})
    assert Email.objects.get(pk=failed_email.pk).status == "failed"


def assert_nothing_personal(page):
    for secret in (ADDRESS, "secret-ana", SUBJECT, "Zebra", BODY, "flamingo",
                   "1.2@join.run.example"):
        assert secret not in page


def test_staff_see_kind_status_attempts_and_last_error_in_the_list(staff_client,
                                                                   failed_email):
    response = staff_client.get(EMAILS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "run_cancelled" in page
    assert "Failed" in page
    assert "ConnectionRefusedError" in page
    assert ">28<" in page
    assert_nothing_personal(page)


def test_an_emails_own_page_holds_neither_its_address_nor_its_text(staff_client, email):
    response = staff_client.get(f"{EMAILS}{email.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "run_cancelled" in page
    assert "Queued" in page
    assert_nothing_personal(page)


def test_staff_can_filter_by_status(staff_client, email, failed_email):
    assert staff_client.get(f"{EMAILS}?status__exact=failed").status_code == 200


def test_staff_cannot_write_an_email_or_change_one(staff_client, email):
    assert staff_client.get(f"{EMAILS}add/").status_code == 403
    staff_client.post(f"{EMAILS}{email.pk}/change/", {"to": "other@example.com"})
    assert Email.objects.get(pk=email.pk).to == ADDRESS


def test_try_again_now_requeues_a_failed_email_at_once(staff_client, failed_email):
    DBTaskResult.objects.all().delete()
    before = timezone.now()

    response = staff_client.post(EMAILS, {"action": "try_again_now",
                                          "_selected_action": [failed_email.pk]},
                                 follow=True)

    assert "1 email will be tried again now." in response.content.decode()
    email = Email.objects.get(pk=failed_email.pk)
    assert email.status == "queued"
    assert before <= email.next_attempt_at <= timezone.now()
    (task,) = DBTaskResult.objects.filter(status="READY")
    assert task.args_kwargs["args"] == [email.pk]
    assert task.task.run_after is None


def test_try_again_now_says_so_when_nothing_could_be_tried(staff_client, email):
    # Sent: its text is gone, so there is nothing to try.
    Email.objects.filter(pk=email.pk).update(status="sent", sent_at=timezone.now(), to="",
                                             subject="", body="")

    response = staff_client.post(EMAILS, {"action": "try_again_now",
                                          "_selected_action": [email.pk]}, follow=True)

    assert "0 emails will be tried again now." in response.content.decode()
    assert Email.objects.get(pk=email.pk).status == "sent"


def test_signed_out_visitors_are_sent_to_sign_in(client, email):
    response = client.get(EMAILS)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_runners_are_refused_the_list_and_the_action(runner_client, failed_email):
    # The admin sends them to its login, which refuses someone signed in but not staff.
    assert runner_client.get(EMAILS, follow=True).status_code == 403
    response = runner_client.post(EMAILS, {"action": "try_again_now",
                                           "_selected_action": [failed_email.pk]})
    assert response.status_code == 302
    assert runner_client.get(response["Location"]).status_code == 403
    assert Email.objects.get(pk=failed_email.pk).status == "failed"


def test_staff_without_the_permission_are_refused(client, failed_email):
    client.force_login(User.objects.create_user("helper@example.com", PASSWORD,
                                                display_name="Helper", is_staff=True))
    assert client.get(EMAILS).status_code == 403
