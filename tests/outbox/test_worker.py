"""The outbox with real processes: the site served by gunicorn, ``manage.py db_worker``
sending, and a real SMTP server (tests/fakes/smtp.py) on a loopback port, all on a fresh
database of the backend this suite runs on. What is checked is what runners receive."""

import json
import signal
import time
from collections import Counter

import pytest
from django.conf import settings
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from joinrun import mail
from joinrun.outbox.models import Email
from runs.models import Run
from tests.fakes.smtp import FakeSMTP
from tests.outbox.conftest import database_alias, db_worker
from tests.runs.conftest import make_run
from tests.runs.test_concurrent_joins import browser
from tests.served import fresh_database, gunicorn, manage, prepared_site

pytestmark = pytest.mark.queue_only

RUNNERS_WHILE_DOWN = 30
RUNNERS_WHEN_KILLED = 100


class Boom(Exception):
    pass


# A change that rolls back (in this process)


@pytest.mark.django_db(transaction=True)
def test_a_change_that_rolls_back_queues_no_email(runner, organiser):
    run = make_run(organiser)
    tasks_before = DBTaskResult.objects.count()

    with pytest.raises(Boom), transaction.atomic():
        Run.objects.filter(pk=run.pk).update(cancel_reason="Storm")
        mail.send("goodbye", [runner, "someone@example.com"], {"name": "Ana"})
        assert Email.objects.count() == 2  # queued, inside the change
        raise Boom

    assert Run.objects.get(pk=run.pk).cancel_reason == ""
    assert not Email.objects.exists()
    assert DBTaskResult.objects.count() == tasks_before


def test_a_change_that_commits_has_its_emails_queued(db, runner):
    with transaction.atomic():
        mail.send("goodbye", [runner], {"name": "Ana"})
    email = Email.objects.get()
    assert email.status == "queued"
    assert [t.args_kwargs["args"] for t in DBTaskResult.objects.filter(status="READY")] == [
        [email.pk]]


# The real site, worker and mail server


def seed():
    """Runs in the served site's environment (``manage.py shell``): an organiser, staff,
    and two runs with their runners going. Nobody has a password; sessions are made
    server-side. Prints what the test needs, as JSON."""
    from accounts.models import User
    from runs.models import Participation
    from tests.conftest import make_user
    from tests.served import signed_in_session

    organiser = make_user("organiser@example.com", "Organiser", password=None)
    staff = User.objects.create_superuser("staff@example.com", None, display_name="Staff")
    runs = {}
    for name, count in (("down", RUNNERS_WHILE_DOWN), ("killed", RUNNERS_WHEN_KILLED)):
        run = make_run(organiser, title=f"Run while {name}")
        runners = [make_user(f"{name}{i:03d}@example.com", f"Runner {name} {i}",
                             password=None) for i in range(count)]
        Participation.objects.bulk_create(
            Participation(run=run, runner=runner, status="going") for runner in runners)
        runs[name] = {"id": run.pk, "runners": [r.email for r in runners]}
    print(json.dumps({"organiser": signed_in_session(organiser),
                      "staff": signed_in_session(staff), "runs": runs}))


@pytest.fixture(scope="module")
def site(tmp_path_factory, django_db_blocker):
    """The site served with gunicorn, its mail server (down at first: start it), and the
    site's database readable here as the alias "served"; the worker is the test's."""
    tmp = tmp_path_factory.mktemp("outbox_worker")
    smtp = FakeSMTP()
    with fresh_database(tmp, settings.DATABASES) as database_url:
        env = prepared_site(tmp, database_url, name="outbox-worker", workers=2,
                            EMAIL_URL=smtp.url, EMAIL_TIMEOUT="5")
        seeded = json.loads(manage(
            env, "shell", "--no-imports", "-c",
            "from tests.outbox.test_worker import seed; seed()"))
        try:
            with gunicorn(env, tmp / "gunicorn.log") as base, database_alias(database_url):
                yield {"env": env, "tmp": tmp, "base": base, "smtp": smtp,
                       "seeded": seeded, "blocker": django_db_blocker}
        finally:
            smtp.stop()


def emails_to(site, addresses):
    with site["blocker"].unblock():
        return list(Email.objects.using("served").filter(to__in=addresses))


def wait_until(condition, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        time.sleep(0.1)
    return result


def statuses(site, ids):
    with site["blocker"].unblock():
        return Counter(Email.objects.using("served").filter(pk__in=ids)
                       .values_list("status", flat=True))


def cancel(site, name, reason):
    run = site["seeded"]["runs"][name]
    organiser = browser(site["base"], site["seeded"]["organiser"])
    response = organiser.post(f"{site['base']}/runs/{run['id']}/cancel/",
                              data={"reason": reason, "confirm": "yes"},
                              allow_redirects=False, timeout=60)
    assert response.status_code == 302, response.text[:2000]
    queued = emails_to(site, run["runners"])
    assert sorted(e.to for e in queued) == sorted(run["runners"])
    assert {e.kind for e in queued} == {"run_cancelled"}
    return [e.pk for e in queued]


def received(smtp, addresses):
    return Counter(address for address in smtp.recipients() if address in addresses)


def test_cancelling_while_the_mail_server_is_down_tells_every_runner_exactly_once(site):
    smtp, runners = site["smtp"], site["seeded"]["runs"]["down"]["runners"]
    assert not smtp.running
    with db_worker(site["env"], site["tmp"] / "worker.log"):
        ids = cancel(site, "down", "Storm warning")
        # The worker tries each one, finds the server down and schedules the next try a
        # minute later.
        # One read for both facts: read apart, an email claimed between the reads (sending,
        # first attempt, no error yet) would pass as tried.
        wait_until(lambda: {(e.status, e.attempts) for e in emails_to(site, runners)}
                   == {("queued", 1)}, what="a first try of every email")
        assert {e.last_error for e in emails_to(site, runners)} == {"ConnectionRefusedError"}
        assert smtp.messages == []

        smtp.start()
        # Rather than wait a minute for the retries: staff's "Try again now", in the admin.
        staff = browser(site["base"], site["seeded"]["staff"])
        response = staff.post(f"{site['base']}/admin/outbox/email/", allow_redirects=False,
                              data={"action": "try_again_now", "_selected_action": ids},
                              timeout=30)
        assert response.status_code == 302
        assert smtp.wait_for(len(runners), to=runners) >= len(runners)
        wait_until(lambda: statuses(site, ids) == {"sent": len(ids)}, what="all sent")

    assert received(smtp, runners) == Counter({address: 1 for address in runners})
    message = next(m for m in smtp.messages if m["To"] == runners[0])
    assert message["Subject"] == "Cancelled: Run while down"
    assert "Storm warning" in message.get_content()


def test_a_worker_killed_mid_batch_leaves_nobody_out(site):
    smtp, runners = site["smtp"], site["seeded"]["runs"]["killed"]["runners"]
    if not smtp.running:
        smtp.start()
    smtp.delay = 0.05  # a slow server: the worker is mostly waiting for "250 accepted"
    log = site["tmp"] / "worker.log"
    try:
        # Queued before the worker starts: emails_to() finds them by address, which a sent
        # email no longer has.
        ids = cancel(site, "killed", "")
        with db_worker(site["env"], log) as worker:
            assert smtp.wait_for(20, to=runners) >= 20
            # Killed while the server holds a message: that email is in flight.
            smtp.held.clear()
            smtp.holding = True
            assert smtp.held.wait(10)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            smtp.holding = False
        before_restart = received(smtp, runners)
        assert len(before_restart) < len(runners)
        assert statuses(site, ids)["sending"] == 1

        with db_worker(site["env"], log):
            assert smtp.wait_for(len(runners), to=runners, timeout=60) >= len(runners)
            wait_until(lambda: statuses(site, ids) == {"sent": len(ids)}, timeout=30,
                       what="all sent")
    finally:
        smtp.delay, smtp.holding = 0, False

    got = received(smtp, runners)
    assert set(got) == set(runners)
    # The one in flight may have arrived twice; nobody else did.
    assert sum(got.values()) - len(runners) <= 1
