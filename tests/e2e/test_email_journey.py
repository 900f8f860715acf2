"""A new runner's emails as she meets them, in Chromium: she signs up, logs in, confirms
her address from the emailed link, joins a run, gets its reminder a day before (the clock
moved in the test, as the worker would run the queued task then), and turns reminders off
with the one-click link as her mail program does it."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import dateformat, timezone, translation
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar
from playwright.sync_api import expect

from accounts.models import User
from runs.models import Run
from runs.reminders import REMINDER_BEFORE, remind, schedule_reminder
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.browser

LJUBLJANA = ZoneInfo("Europe/Ljubljana")
EMAIL = "maja@example.com"
TITLE = "Rožnik hill loop"
MEETING_POINT = "Tivoli park, main entrance"
REMINDER_TASK = "runs.reminders.send_reminders"
UNCONFIRMED_NOTICE = "Please confirm your email"


def in_days_at_half_past_six(days):
    day = timezone.now().astimezone(LJUBLJANA) + timedelta(days=days)
    return day.replace(hour=18, minute=30, second=0, microsecond=0)


def make_run(organiser, title, days):
    """A run as the organiser's form makes it: saved, and its reminder queued."""
    run = Run.objects.create(
        organiser=organiser, title=title, starts_at=in_days_at_half_past_six(days),
        meeting_point=MEETING_POINT, distance_km=Decimal("8"), pace_min=330, pace_max=360,
    )
    schedule_reminder(run)
    return run


def emails_to(address, subject_start=""):
    return [m for m in mail.outbox if m.to == [address] and m.subject.startswith(subject_start)]


def the_worker_runs_the_reminder_of(run):
    """What db_worker does once the clock reaches the queued task's moment: runs it, with
    the clock at that moment. Returns the task's outcome."""
    (task,) = [t for t in DBTaskResult.objects.filter(task_path=REMINDER_TASK, status="READY")
               if t.args_kwargs["args"][0] == run.pk]
    assert task.run_after == run.starts_at - REMINDER_BEFORE
    run_id, starts_at = task.args_kwargs["args"]
    outcome = remind(run_id, datetime.fromisoformat(starts_at), now=task.run_after)
    task.status = "SUCCESSFUL"
    task.save(update_fields=["status"])
    return outcome


def link_after(line, body):
    """The link on the line after ``line`` in an email's body."""
    lines = body.splitlines()
    return lines[lines.index(line) + 1]


def test_sign_up_confirm_join_get_the_reminder_and_unsubscribe_in_one_click(
    browser, page, live_server, settings
):
    settings.SITE_URL = live_server.url  # links in emails point at the test server
    organiser = make_user("bojan@example.com", "Bojan")
    run = make_run(organiser, TITLE, days=3)

    # 1. She signs up on her phone: the page says to check her email and signs nobody in
    # (it says the same for an address that has an account). She logs in, and every page
    # reminds her that her address is not confirmed yet.
    assert page.viewport_size == PHONE
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Display name").fill("Maja")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("You can log in and use join run meanwhile")).to_be_visible()
    assert [c["name"] for c in page.context.cookies()] in ([], ["csrftoken"])
    notice = page.get_by_role("note").filter(has_text=UNCONFIRMED_NOTICE)
    expect(notice).to_have_count(0)
    page.get_by_role("link", name="Log in", exact=True).last.click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(notice).to_contain_text(EMAIL)
    page.goto(run.get_absolute_url())
    expect(notice).to_be_visible()
    maja = User.objects.get(email=EMAIL)
    assert not maja.email_confirmed

    # 2. The confirmation email: its link opens a page with a button, and opening it
    # confirms nothing (a mail scanner opens links too); the button does.
    (confirmation,) = emails_to(EMAIL)
    assert confirmation.subject == "Confirm your email for join run"
    (link,) = re.findall(rf"^{re.escape(live_server.url)}/accounts/confirm/\?token=\S+$",
                         confirmation.body, flags=re.MULTILINE)
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    expect(page.get_by_text(f"This link confirms {EMAIL} as the email of the join run "
                            "account “Maja”")).to_be_visible()
    expect(page.get_by_text(f"confirm that {EMAIL} is your address")).to_be_visible()
    maja.refresh_from_db()
    assert maja.email_confirmed_at is None
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_role("status").get_by_text(f"Your email {EMAIL} is confirmed.")
           ).to_be_visible()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(notice).to_have_count(0)
    maja.refresh_from_db()
    assert maja.email_confirmed

    # 3. She joins the run.
    page.goto(run.get_absolute_url())
    expect(notice).to_have_count(0)
    page.get_by_role("button", name="Join run", exact=True).click()
    expect(page.get_by_text("You're going", exact=True)).to_be_visible()
    assert emails_to(EMAIL, "Reminder:") == []  # nothing until a day before

    # 4. A day before the run, the worker runs the queued reminder: she gets it.
    assert the_worker_runs_the_reminder_of(run) == "emailed 1"
    (reminder,) = emails_to(EMAIL, "Reminder:")
    assert TITLE in reminder.subject
    body = reminder.body
    assert f"you're going to “{TITLE}”" in body
    with translation.override("en"):
        day = dateformat.format(run.starts_at.astimezone(LJUBLJANA), "l j F Y")
    assert f"When: {day}, 18:30, Ljubljana time" in body.splitlines()
    assert f"Meeting point: {MEETING_POINT}" in body.splitlines()
    calendar_link = f"{live_server.url}/runs/{run.pk}/calendar.ics"
    assert f"Add it to your calendar: {calendar_link}" in body.splitlines()
    leave = "Can't make it? Leave the run so the next runner on the waitlist gets your place:"
    assert link_after(leave, body) == live_server.url + run.get_absolute_url()
    body_unsubscribe = link_after("To stop getting reminders before your runs:", body)
    assert body_unsubscribe.startswith(f"{live_server.url}/accounts/unsubscribe/?token=")
    headers = reminder.extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = re.fullmatch(r"<(\S+)>", headers["List-Unsubscribe"])[1]
    assert one_click.startswith(f"{live_server.url}/accounts/unsubscribe/?token=")
    calendar = page.request.get(calendar_link)  # the calendar link gives the run
    assert calendar.status == 200
    (event,) = Calendar.from_ical(calendar.body()).walk("VEVENT")
    assert (str(event["SUMMARY"]), event.decoded("DTSTART")) == (TITLE, run.starts_at)
    page.goto(link_after(leave, body))  # and the run's link shows her place
    expect(page.get_by_role("button", name="Leave run")).to_be_visible()

    # 5. She presses "Unsubscribe" in her mail program, which sends RFC 8058's POST from
    # its own server: no cookie, no CSRF token. A link-scanner's GET first changes nothing.
    scanner, mail_program = (browser.new_context() for _ in range(2))  # no cookies
    try:
        scanned = scanner.request.get(one_click)
        assert scanned.status == 200
        assert "Stop getting reminders before your runs?" in scanned.text()
        maja.refresh_from_db()
        assert maja.reminder_emails is True

        assert mail_program.cookies() == []
        response = mail_program.request.post(
            one_click, data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert 200 <= response.status < 300, response.status
        assert "Done: you will no longer get reminders before your runs." in response.text()
    finally:
        scanner.close()
        mail_program.close()
    maja.refresh_from_db()
    assert maja.reminder_emails is False
    assert maja.organiser_emails is True  # only the kind the email was about

    # Later she opens the same link in her browser: it is off already, nothing changes.
    page.goto(one_click)
    expect(page.get_by_role("status")).to_have_text(
        "Reminders before your runs are already off, so nothing was changed.")
    expect(page.get_by_role("button", name="Unsubscribe")).to_have_count(0)
    maja.refresh_from_db()
    assert maja.reminder_emails is False
    page.get_by_role("link", name="My account").first.click()
    emails_i_get = page.get_by_role("region", name="Emails I get")
    expect(emails_i_get.get_by_label("Reminders")).not_to_be_checked()
    expect(emails_i_get.get_by_label("Messages from organisers")).to_be_checked()

    # Her next run's reminder goes to the other runner, and not to her.
    second = make_run(organiser, "Šmarna gora sunrise", days=4)
    ana = make_user("ana@example.com", "Ana")
    page.goto(second.get_absolute_url())
    page.get_by_role("button", name="Join run", exact=True).click()
    expect(page.get_by_text("You're going", exact=True)).to_be_visible()
    second.join(ana)
    assert the_worker_runs_the_reminder_of(second) == "emailed 1"
    assert len(emails_to("ana@example.com", "Reminder: Šmarna gora sunrise")) == 1
    assert emails_to(EMAIL, "Reminder: Šmarna gora sunrise") == []
    assert len(emails_to(EMAIL, "Reminder:")) == 1

