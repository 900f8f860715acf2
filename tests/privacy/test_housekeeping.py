"""manage.py privacy_housekeeping (daily from cron): reminders to staff, expired exports
deleted, old tickets' contact details purged, expired sessions removed."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Session, User
from privacy import emails, services
from privacy.models import DataRequest, Kind, Status
from tests.conftest import PASSWORD, make_user


def housekeeping(*args):
    out = StringIO()
    call_command("privacy_housekeeping", *args, stdout=out)
    return out.getvalue()


def make_ticket(*, due_in=20, email="someone@example.com", **fields):
    fields.setdefault("status", Status.IN_PROGRESS)
    if fields.get("status") not in (None, Status.RECEIVED, Status.AWAITING_VERIFICATION):
        fields.setdefault("verification", "staff")  # past verification: checked by staff

    ticket = DataRequest(kind=Kind.ACCESS, contact_email=email, **fields)
    ticket.save()
    ticket.due_on = timezone.localdate() + timedelta(days=due_in)
    DataRequest.objects.filter(pk=ticket.pk).update(due_on=ticket.due_on)
    return ticket


def closed_ago(days, **fields):
    """A completed ticket closed ``days`` ago, with every kind of contact detail."""
    closed_at = timezone.now() - timedelta(days=days)
    fields.setdefault("status", Status.COMPLETED)
    return make_ticket(closed_at=closed_at, email="ana@example.com",
                       details="My runs in 2024.", outcome="We deleted your runs.",
                       response_sent_at=closed_at, received_at=closed_at - timedelta(days=3),
                       **fields)


@pytest.fixture
def due(staff):
    """Open tickets by name, around the 3-day reminder line, and some that are not."""
    return {
        "overdue": make_ticket(due_in=-4),
        "due_today": make_ticket(due_in=0),
        "in_three_days": make_ticket(due_in=3, status=Status.AWAITING_VERIFICATION),
        "in_four_days": make_ticket(due_in=4),
        "extended": make_ticket(due_in=-2, extended_until=timezone.localdate()
                                + timedelta(days=30)),
        "closed_overdue": make_ticket(due_in=-1, status=Status.COMPLETED,
                                      closed_at=timezone.now()),
    }


REMINDED = ["overdue", "due_today", "in_three_days"]


# Reminders


def test_staff_get_one_email_listing_tickets_due_within_three_days_or_overdue(due):
    housekeeping()

    (reminder,) = mail.outbox
    assert reminder.to == ["staff@example.com"]
    assert reminder.subject == "3 data requests are due soon or overdue"
    for name, ticket in due.items():
        assert (ticket.reference in reminder.body) == (name in REMINDED), name
    assert f"/admin/privacy/datarequest/{due['overdue'].pk}/change/" in reminder.body
    for name, ticket in due.items():
        logged = ticket.events.filter(action="reminder_sent").count()
        assert logged == (1 if name in REMINDED else 0), name


def test_reminders_are_sent_once_a_day(due):
    housekeeping()
    mail.outbox.clear()

    output = housekeeping()

    assert mail.outbox == []
    assert "remind staff of 0 data request(s)" in output
    assert sum(t.events.filter(action="reminder_sent").count() for t in due.values()) == 3


def test_a_reminder_sent_yesterday_does_not_stop_todays(due):
    housekeeping()
    yesterday = timezone.now() - timedelta(days=1)
    for ticket in due.values():
        ticket.events.filter(action="reminder_sent").update(at=yesterday)
    mail.outbox.clear()

    housekeeping()

    (reminder,) = mail.outbox
    assert due["overdue"].reference in reminder.body


def test_nothing_due_sends_no_reminder(staff):
    make_ticket(due_in=10)
    housekeeping()
    assert mail.outbox == []


def test_reminders_go_to_active_staff_who_may_see_data_requests(db):
    view = Permission.objects.get(codename="view_datarequest",
                                  content_type__app_label="privacy")
    User.objects.create_superuser("boss@example.com", PASSWORD)
    make_user("viewer@example.com", "Vid", is_staff=True).user_permissions.add(view)
    team = Group.objects.create(name="privacy team")
    team.permissions.add(view)
    make_user("member@example.com", "Mia", is_staff=True).groups.add(team)
    make_user("other-staff@example.com", "Oto", is_staff=True)
    make_user("left@example.com", "Lea", is_staff=True, is_active=False).groups.add(team)
    make_user("not-staff@example.com", "Nik").user_permissions.add(view)
    make_user(None, "No email", is_staff=True, is_superuser=True)

    assert sorted(emails.staff_addresses()) == [
        "boss@example.com", "member@example.com", "viewer@example.com"]

    make_ticket(due_in=1)
    housekeeping()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "boss@example.com", "member@example.com", "viewer@example.com"]


# Export files


def built_export(runner, staff, *, days_ago):
    ticket = make_ticket(user=runner, email=runner.email)
    services.build_export(ticket, actor=staff, now=timezone.now() - timedelta(days=days_ago))
    ticket.refresh_from_db()
    path = Path(settings.DATA_EXPORT_DIR) / ticket.export_file
    assert path.exists()
    return ticket, path


def test_expired_export_files_are_deleted_and_unexpired_kept(runner, staff):
    expired, expired_path = built_export(runner, staff, days_ago=8)
    current, current_path = built_export(runner, staff, days_ago=2)

    housekeeping()

    assert not expired_path.exists()
    expired.refresh_from_db()
    assert expired.export_file == ""
    assert expired.events.filter(action="export_deleted").count() == 1
    assert current_path.exists()
    current.refresh_from_db()
    assert current.export_file == current_path.name
    assert not current.events.filter(action="export_deleted").exists()


# Contact details of old tickets


def test_contact_details_are_purged_from_tickets_closed_over_24_months_ago(staff):
    old = closed_ago(25 * 31)
    recent = closed_ago(23 * 30)
    still_open = make_ticket(email="open@example.com", details="Still working on it.",
                             received_at=timezone.now() - timedelta(days=800))

    housekeeping()

    kept = DataRequest.objects.get(reference=old.reference)  # the record the law asks for
    assert (kept.contact_email, kept.details, kept.outcome) == ("", "", "")
    assert kept.pii_purged_at is not None
    assert (kept.kind, kept.status, kept.due_on) == ("access", "completed", old.due_on)
    old = kept
    assert old.closed_at is not None and old.response_sent_at is not None
    assert old.events.filter(action="contact_details_purged").count() == 1
    recent.refresh_from_db()
    assert (recent.contact_email, recent.details, recent.outcome) == (
        "ana@example.com", "My runs in 2024.", "We deleted your runs.")
    assert recent.pii_purged_at is None
    still_open.refresh_from_db()
    assert still_open.contact_email == "open@example.com"


def test_a_refused_tickets_explanation_is_purged_too(staff):
    old = closed_ago(800, status=Status.REFUSED, refusal_basis="excessive",
                     refusal_explanation="Ana asked four times.")
    housekeeping()
    old.refresh_from_db()
    assert old.refusal_explanation == ""
    assert old.refusal_basis == "excessive"  # a reason code, kept for the record


# Sessions


def make_session(key, *, expires_in):
    return Session.objects.create(session_key=key, session_data="",
                                  expire_date=timezone.now() + expires_in)


def test_expired_sessions_are_removed(db):
    make_session("expired" * 4, expires_in=-timedelta(minutes=1))
    make_session("current" * 4, expires_in=timedelta(days=1))

    housekeeping()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" * 4]


# Dry run, and running twice


@pytest.fixture
def everything_to_do(due, runner, staff):
    """One of each kind of work."""
    _ticket, path = built_export(runner, staff, days_ago=8)
    make_session("expired" * 4, expires_in=-timedelta(minutes=1))
    old = closed_ago(800)
    mail.outbox.clear()
    return path, old


def snapshot():
    tickets = list(DataRequest.objects.order_by("pk").values())
    events = list(DataRequest.objects.order_by("pk").values_list("events__pk", flat=True))
    sessions = sorted(Session.objects.values_list("session_key", flat=True))
    return tickets, events, sessions


def test_dry_run_changes_and_sends_nothing_but_says_what_it_would_do(everything_to_do):
    path, _old = everything_to_do
    before = snapshot()

    output = housekeeping("--dry-run")

    assert snapshot() == before
    assert path.exists()
    assert mail.outbox == []
    assert "would: remind staff of 3 data request(s) due soon or overdue" in output
    assert "would: delete 1 expired export file(s)" in output
    assert "would: purge contact details from 1 request(s) closed over 24 months ago" in output
    assert "would: remove expired sessions" in output


def test_running_twice_does_nothing_the_second_time(everything_to_do):
    path, old = everything_to_do
    housekeeping()
    assert len(mail.outbox) == 1
    assert not path.exists()
    first = snapshot()
    mail.outbox.clear()

    output = housekeeping()

    assert snapshot() == first
    assert mail.outbox == []
    assert "remind staff of 0 data request(s)" in output
    assert "delete 0 expired export file(s)" in output
    assert "purge contact details from 0 request(s)" in output
    old.refresh_from_db()
    assert old.events.filter(action="contact_details_purged").count() == 1


def test_requests_never_confirmed_within_a_week_are_closed_and_later_purged(staff):
    stale = make_ticket(status=Status.AWAITING_VERIFICATION, due_in=-10,
                        received_at=timezone.now() - timedelta(days=8))
    fresh = make_ticket(status=Status.AWAITING_VERIFICATION,
                        received_at=timezone.now() - timedelta(days=2))

    assert "close 1 request(s) never confirmed" in housekeeping("--dry-run")
    assert DataRequest.objects.get(pk=stale.pk).status == Status.AWAITING_VERIFICATION

    housekeeping()

    stale.refresh_from_db()
    assert stale.status == Status.CLOSED_UNVERIFIED and stale.closed_at is not None
    assert stale.events.filter(action="closed_unverified").exists()
    assert DataRequest.objects.get(pk=fresh.pk).status == Status.AWAITING_VERIFICATION
    # Closed, it is no longer overdue work for staff, and is purged after 24 months.
    assert not DataRequest.objects.due_by(timezone.localdate()).filter(pk=stale.pk).exists()
    DataRequest.objects.filter(pk=stale.pk).update(
        closed_at=timezone.now() - timedelta(days=731))
    housekeeping()
    assert DataRequest.objects.get(pk=stale.pk).contact_email == ""
