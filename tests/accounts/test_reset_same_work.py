"""The audit's finding 8: the reset page does the same work for an address with an account
and for one without (the same queries, one queued task each, no email built in the
request), so its speed cannot tell who has an account. The timing itself is measured by
tests/benchmarks/reset_timing.py (`make bench`), not asserted here."""

import re
import time

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from accounts import tasks
from joinrun.outbox.models import Email
from tests.conftest import make_user
from tests.fakes.smtp import FakeSMTP
from tests.outbox.conftest import database_alias, db_worker
from tests.served import fresh_database, gunicorn, manage, prepared_site

# The queued tasks stay in the queue, as without a worker: what the request did, alone.
pytestmark = pytest.mark.queue_only

LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+\b")


def shape(sql):
    """A query without its values: the same shape means the same work."""
    return LITERALS.sub("?", sql)


def ask(email, address="127.0.0.1"):
    """The reset POST from a new browser at ``address``: (response, the shapes of its
    queries)."""
    with CaptureQueriesContext(connection) as queries:
        response = Client(REMOTE_ADDR=address).post("/accounts/password-reset/",
                                                    {"email": email})
    return response, [shape(q["sql"]) for q in queries.captured_queries]


def test_an_address_with_or_without_an_account_does_the_same_work(runner):
    known, known_queries = ask("runner@example.com")
    unknown, unknown_queries = ask("nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password-reset/sent/"
    assert set(known.cookies) == set(unknown.cookies)
    assert known_queries == unknown_queries
    assert any("accounts_user" in sql for sql in known_queries)  # the one lookup
    # One task each; the email is built by the worker, not in the request.
    assert DBTaskResult.objects.count() == 2
    assert not Email.objects.exists()


def test_an_address_over_its_limit_does_the_same_work_too(runner, settings):
    # From four networks, so only the address's own limit (one an hour here) is reached.
    settings.PASSWORD_RESET_RATE_LIMIT = 1
    ask("runner@example.com", "192.0.2.1")
    known, over_known = ask("runner@example.com", "198.51.100.1")
    ask("nobody@example.com", "203.0.113.1")
    unknown, over_unknown = ask("nobody@example.com", "198.18.0.1")
    assert known.status_code == unknown.status_code == 302
    assert over_known == over_unknown
    assert DBTaskResult.objects.count() == 4
    run_queued_tasks()
    assert Email.objects.filter(kind="password_reset").count() == 1


def run_queued_tasks():
    for result in DBTaskResult.objects.order_by("enqueued_at"):
        args = result.args_kwargs
        tasks.send_password_reset.call(*args["args"], **args["kwargs"])


def test_the_worker_sends_the_email_for_an_account_and_drops_it_otherwise(runner):
    for email in ("runner@example.com", "nobody@example.com"):
        ask(email)
    run_queued_tasks()
    (email,) = Email.objects.filter(kind="password_reset")
    assert email.to == "runner@example.com"
    assert "/accounts/password-reset/confirm/?uid=" in email.body


def test_the_task_carries_no_address(runner):
    ask("runner@example.com")
    ask("nobody@example.com")
    stored = str(list(DBTaskResult.objects.values_list("args_kwargs", flat=True)))
    assert "@example.com" not in stored


def test_an_account_over_the_limit_gets_no_more_emails(runner, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = 2
    for _ in range(4):
        ask("runner@example.com")
    run_queued_tasks()
    assert Email.objects.filter(kind="password_reset").count() == 2


def test_inactive_and_passwordless_accounts_get_no_email(db):
    make_user("gone@example.com", "Gone", is_active=False)
    make_user("strava@example.com", "Stana", password=None)
    for email in ("gone@example.com", "strava@example.com"):
        ask(email)
    run_queued_tasks()
    assert not Email.objects.exists()
    assert DBTaskResult.objects.count() == 2


def seed():
    """Runs in the served site's environment (``manage.py shell``): Ana's account."""
    make_user("runner@example.com", "Ana")


def test_served_the_worker_emails_the_account_and_nobody_else(tmp_path, settings,
                                                               django_db_blocker):
    """Through gunicorn and ``manage.py db_worker`` to a real SMTP server: the reset for an
    address with an account arrives, with its link; the one without sends nothing."""
    with FakeSMTP() as smtp, fresh_database(tmp_path, settings.DATABASES) as database_url:
        env = prepared_site(tmp_path, database_url, name="reset", workers=1,
                            EMAIL_URL=smtp.url)
        manage(env, "shell", "--no-imports", "-c",
               "from tests.accounts.test_reset_same_work import seed; seed()")
        with gunicorn(env, tmp_path / "gunicorn.log") as base, \
                database_alias(database_url) as served:
            visitor = requests.Session()
            visitor.headers.update({"Cookie": "csrftoken=" + "c" * 32,
                                    "X-CSRFToken": "c" * 32})
            for address in ("runner@example.com", "nobody@example.com"):
                response = visitor.post(f"{base}/accounts/password-reset/",
                                        data={"email": address}, allow_redirects=False,
                                        timeout=30)
                assert response.headers["Location"] == "/accounts/password-reset/sent/"
            with db_worker(env, tmp_path / "worker.log"), django_db_blocker.unblock():
                resets = DBTaskResult.objects.using(served).filter(
                    task_path=tasks.send_password_reset.module_path)
                wait_until(lambda: list(resets.values_list("status", flat=True))
                           == ["SUCCESSFUL"] * 2, "both reset tasks to run")
                assert smtp.wait_for(1, timeout=30) == 1
                assert list(Email.objects.using(served).values_list("kind", flat=True)) == [
                    "password_reset"]
    assert smtp.recipients() == ["runner@example.com"]
    (message,) = smtp.messages
    assert "/accounts/password-reset/confirm/?uid=" in message.get_content()


def wait_until(condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_the_queued_reset_is_in_the_account_s_export_and_goes_with_it(runner):
    from joinrun import personal_data

    ask("runner@example.com")
    ask("nobody@example.com")
    (asked,) = personal_data.export_for(runner)["password_resets"]
    assert asked["asked_at"]

    personal_data.erase_for(runner)
    # The account's task row is gone; the row that names nobody stays for housekeeping.
    assert [row.args_kwargs["args"] for row in DBTaskResult.objects.all()] == [[None]]
