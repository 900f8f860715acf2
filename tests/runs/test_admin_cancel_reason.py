"""Staff cancelling runs in the admin type the reason the runners will read, on a
confirmation page that says which runs and how many runners it will email."""

import html

import pytest
from django.core import mail

from runs.models import Run
from tests.runs.conftest import make_run, make_runners

RUNS = "/admin/runs/run/"


@pytest.fixture
def staff_client(client, db):
    from accounts.models import User
    from tests.conftest import PASSWORD

    client.force_login(User.objects.create_superuser("staff@example.com", PASSWORD))
    return client


@pytest.fixture
def two_runs(organiser):
    hills = make_run(organiser, title="Monday hills")
    track = make_run(organiser, title="Friday track", days=5)
    for person in make_runners(2):
        hills.join(person)
    track.join(make_runners(1, prefix="t")[0])
    return hills, track


def choose(runs, **extra):
    return {"action": "cancel_runs", "_selected_action": [run.pk for run in runs], **extra}


def test_the_action_asks_for_a_reason_before_cancelling(staff_client, two_runs):
    response = staff_client.post(RUNS, choose(two_runs))
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Monday hills" in page and "Friday track" in page
    assert "3 runners will be emailed." in page
    assert 'name="reason"' in page and 'maxlength="200"' in page
    assert not Run.objects.filter(cancelled_at__isnull=False).exists()
    assert mail.outbox == []


def test_the_typed_reason_reaches_the_runners(staff_client, two_runs):
    response = staff_client.post(RUNS, choose(two_runs, reason="Storm warning for the valley.",
                                              apply="1"))
    assert response.status_code == 302
    assert all(run.is_cancelled and run.cancelled_by_staff
               for run in Run.objects.all())
    assert {run.cancel_reason for run in Run.objects.all()} == {"Storm warning for the valley."}
    assert len(mail.outbox) == 3
    assert all("Storm warning for the valley." in message.body for message in mail.outbox)
    messages = [str(m) for m in staff_client.get(RUNS).context["messages"]]
    assert any("2 runs cancelled." in m for m in messages)


@pytest.mark.parametrize(("reason", "error"), [
    ("", "This field is required."),
    ("   ", "This field is required."),
    ("x" * 201, "at most 200 characters"),
    ("Storm\nwarning", "Use one line"),
    ("Storm\x1b[31m", "Use one line"),
])
def test_a_missing_or_bad_reason_is_refused_with_a_message(staff_client, two_runs, reason,
                                                           error):
    response = staff_client.post(RUNS, choose(two_runs, reason=reason, apply="1"))
    assert response.status_code == 400
    assert error in html.unescape(response.content.decode())
    assert not Run.objects.filter(cancelled_at__isnull=False).exists()
    assert mail.outbox == []


def test_runs_already_cancelled_or_past_are_left_alone_and_said_so(staff_client, organiser,
                                                                   two_runs):
    past = make_run(organiser, title="Last week", days=-7)
    hills, _track = two_runs
    hills.cancel(reason="Earlier reason")
    response = staff_client.post(RUNS, choose([*two_runs, past]))
    page = html.unescape(response.content.decode())
    assert "2 selected runs are cancelled already or have started" in page
    assert "1 runner will be emailed." in page
    staff_client.post(RUNS, choose([*two_runs, past], reason="Track resurfacing.", apply="1"))
    hills.refresh_from_db()
    past.refresh_from_db()
    assert hills.cancel_reason == "Earlier reason"
    assert not past.is_cancelled


def test_nothing_left_to_cancel_goes_back_to_the_list_with_a_message(staff_client, organiser):
    past = make_run(organiser, title="Last week", days=-7)
    response = staff_client.post(RUNS, choose([past]), follow=True)
    assert response.status_code == 200
    assert "None of the selected runs can be cancelled" in response.content.decode()


def test_staff_who_may_only_view_runs_cannot_cancel(client, organiser, two_runs):
    from django.contrib.auth.models import Permission

    from tests.conftest import make_user

    viewer = make_user("viewer@example.com", "Viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_run"))
    client.force_login(viewer)
    client.post(RUNS, choose(two_runs, reason="No.", apply="1"))
    assert not Run.objects.filter(cancelled_at__isnull=False).exists()
