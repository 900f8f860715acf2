"""The work staff do on a data request in the admin: list actions (verify, export, restrict,
lift, object) and the step pages (extend, refuse, complete, erase)."""

import calendar
import html
import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import formats, timezone

from accounts.models import Session, User
from joinrun import personal_data
from privacy import services
from privacy.models import DataRequest, Kind, Status
from runs.models import Participation
from tests.conftest import make_user
from tests.runs.conftest import make_run

TICKETS = "/admin/privacy/datarequest/"


def local_noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)))


def months_later(day, months):
    """The same day ``months`` later, or the last day of a shorter month."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def make_ticket(*, kind=Kind.ACCESS, email="runner@example.com", **fields):
    fields.setdefault("received_at", timezone.now())
    fields.setdefault("status", Status.IN_PROGRESS)
    if fields["status"] not in (Status.RECEIVED, Status.AWAITING_VERIFICATION):
        # Past verification: checked by staff.
        fields.setdefault("verification", "staff")
        fields.setdefault("verified_at", fields["received_at"])
    ticket = DataRequest(kind=kind, contact_email=email, **fields)
    ticket.save()
    return ticket


def step_url(ticket, step):
    return f"{TICKETS}{ticket.pk}/{step}/"


def act(client, action, *tickets):
    return client.post(TICKETS, {"action": action,
                                 "_selected_action": [t.pk for t in tickets]}, follow=True)


def shown_messages(response):
    return [html.unescape(m) for m in
            re.findall(r'<li class="(?:success|error|warning|info)">(.*?)</li>',
                       response.content.decode(), re.S)]


def events(ticket):
    return list(ticket.events.values_list("action", "actor_label", "actor"))


def fresh(ticket):
    return DataRequest.objects.get(pk=ticket.pk)


# Mark verified


def test_staff_mark_a_request_verified_and_staff_are_told(staff_client, staff, runner):
    ticket = services.file_request(DataRequest(kind=Kind.ACCESS,
                                               contact_email="runner@example.com"))
    assert ticket.status == Status.AWAITING_VERIFICATION
    mail.outbox.clear()

    response = act(staff_client, "mark_verified", ticket)

    assert "1 request(s) verified." in shown_messages(response)
    ticket = fresh(ticket)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.verification == "staff"
    assert ticket.verified_at is not None
    assert ticket.user == runner  # the account with the request's email
    assert events(ticket)[-1] == ("verified", "staff", staff.pk)
    (told,) = mail.outbox
    assert told.to == ["staff@example.com"]
    assert ticket.reference in told.subject
    assert f"/admin/privacy/datarequest/{ticket.pk}/change/" in told.body


def test_only_a_request_awaiting_verification_can_be_verified(staff_client, runner):
    ticket = make_ticket(user=runner)

    response = act(staff_client, "mark_verified", ticket)

    assert any("Only a request awaiting verification" in m for m in shown_messages(response))
    assert fresh(ticket).verified_at == ticket.verified_at  # unchanged
    assert not [e for e in events(ticket) if e[0] == "verified"]
    assert mail.outbox == []


# Build the export


@pytest.fixture
def exported(staff_client, runner, organiser):
    """The runner joined a run and asked for their data; staff built the export."""
    make_run(organiser).join(runner)
    ticket = make_ticket(user=runner)
    response = act(staff_client, "build_export", ticket)
    assert "1 export(s) built and emailed." in shown_messages(response)
    return fresh(ticket)


def download_link(message):
    (url,) = re.findall(rf"^{re.escape(settings.SITE_URL)}(/\S+)$", message.body, re.M)
    return url


def downloaded(response):
    body = b"".join(response.streaming_content)
    response.close()
    return body


def without_moment(data):
    return {key: value for key, value in data.items() if key != "exported_at"}


def test_export_holds_what_the_account_download_holds(exported, runner, staff):
    path = Path(settings.DATA_EXPORT_DIR) / exported.export_file
    from_admin = json.loads(path.read_text(encoding="utf-8"))
    runner_browser = Client()
    runner_browser.force_login(runner)

    own = json.loads(runner_browser.get("/accounts/export/").content)

    # Signing in added a session; the admin's file was built before it.
    assert len(own.pop("sessions")) == len(from_admin.pop("sessions")) + 1
    # And before the ticket recorded the export's expiry and the step that built it.
    (ticket,) = own["data_requests"]
    assert ticket.pop("export_link_works_until") is not None
    assert ticket["history"].pop()["step"] == "export_built"
    from_admin["data_requests"][0].pop("export_link_works_until")
    for data in (own, from_admin):
        data["account"].pop("last_login")
    assert without_moment(from_admin) == without_moment(own)
    assert from_admin["account"]["email"] == "runner@example.com"
    assert len(from_admin["participations"]) == 1
    assert from_admin["data_requests"][0]["reference"] == exported.reference
    assert exported.export_expires_at - timezone.now() > timedelta(days=6, hours=23)
    assert events(exported)[-1] == ("export_built", "staff", staff.pk)


def test_export_is_emailed_as_a_link_that_downloads_it(exported, client):
    (message,) = mail.outbox
    assert message.to == ["runner@example.com"]
    assert exported.reference in message.subject

    response = client.get(download_link(message))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"joinrun-data-{exported.reference}.json" in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/json")
    path = Path(settings.DATA_EXPORT_DIR) / exported.export_file
    assert downloaded(response) == path.read_bytes()


def test_export_link_needs_the_right_key(exported, client):
    link = download_link(mail.outbox[0])
    wrong = re.sub(r"key=[^&]+", "key=" + "x" * 43, link)
    assert client.get(wrong).status_code == 404
    assert client.get(link.split("?")[0]).status_code == 404


def test_export_link_stops_working_when_it_expires(exported, client):
    link = download_link(mail.outbox[0])
    DataRequest.objects.filter(pk=exported.pk).update(
        export_expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(link)
    assert response.status_code == 410
    assert b'"email"' not in response.content


def test_a_new_export_replaces_the_old_file(staff_client, exported):
    old = Path(settings.DATA_EXPORT_DIR) / exported.export_file
    act(staff_client, "build_export", exported)
    new = Path(settings.DATA_EXPORT_DIR) / fresh(exported).export_file
    assert new.exists() and new != old
    assert not old.exists()


def test_no_export_without_a_linked_account(staff_client, db):
    ticket = make_ticket(email="stranger@example.com")
    response = act(staff_client, "build_export", ticket)
    assert any("No account is linked" in m for m in shown_messages(response))
    assert fresh(ticket).export_file == ""
    assert mail.outbox == []


# Erase the account


def test_staff_erase_the_account_as_self_service_deletion_does(
    staff_client, staff, runner, organiser, monkeypatch, django_capture_on_commit_callbacks
):
    run = make_run(organiser, capacity=1)
    run.join(runner)
    waiting = make_user("waiting@example.com", "Wanda")
    run.join(waiting)
    browser = Client()
    browser.force_login(runner)
    assert Session.objects.filter(user=runner).exists()
    ticket = make_ticket(kind=Kind.ERASURE, user=runner)
    erased = []
    real_erase = personal_data.erase_for
    monkeypatch.setattr(personal_data, "erase_for",
                        lambda user: (erased.append(user.pk), real_erase(user)))

    assert staff_client.get(step_url(ticket, "erase")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(step_url(ticket, "erase"), follow=True)

    assert "The account is erased." in shown_messages(response)
    assert erased == [runner.pk]  # the register's path, the one self-service uses
    assert not User.objects.filter(pk=runner.pk).exists()
    assert not Participation.objects.filter(runner_id=runner.pk).exists()
    assert not Session.objects.filter(user_id=runner.pk).exists()
    assert browser.get("/accounts/profile/").status_code == 302
    assert run.participations.get(runner=waiting).is_going
    assert [m.to for m in mail.outbox] == [["waiting@example.com"]]
    ticket = fresh(ticket)
    assert ticket.user is None
    assert ticket.contact_email == "runner@example.com"
    assert ticket.status == Status.IN_PROGRESS  # staff complete it with a reply
    assert events(ticket)[-1] == ("account_erased", "staff", staff.pk)


def test_erasing_needs_a_linked_account(staff_client, db):
    ticket = make_ticket(email="stranger@example.com")
    response = staff_client.post(step_url(ticket, "erase"), follow=True)
    assert any("No account is linked" in m for m in shown_messages(response))
    assert not fresh(ticket).events.exists()


def test_erasing_is_a_post(staff_client, runner):
    ticket = make_ticket(user=runner)
    page = staff_client.get(step_url(ticket, "erase")).content.decode()
    assert "cannot be undone" in page
    assert User.objects.filter(pk=runner.pk).exists()


# Restrict, lift, object


def test_staff_restrict_processing_and_lift_the_restriction(staff_client, staff, runner):
    ticket = make_ticket(kind=Kind.RESTRICTION, user=runner)

    response = act(staff_client, "restrict", ticket)

    assert "1 account(s) restricted." in shown_messages(response)
    runner.refresh_from_db()
    since = runner.processing_restricted_at
    assert since is not None
    assert events(ticket)[-1] == ("processing_restricted", "staff", staff.pk)
    act(staff_client, "restrict", ticket)
    runner.refresh_from_db()
    assert runner.processing_restricted_at == since  # restricted since the first time

    response = act(staff_client, "lift_restriction", ticket)

    assert "1 restriction(s) lifted." in shown_messages(response)
    runner.refresh_from_db()
    assert runner.processing_restricted_at is None
    assert events(ticket)[-1] == ("restriction_lifted", "staff", staff.pk)
    assert fresh(ticket).status == Status.IN_PROGRESS


def test_restricting_needs_a_linked_account(staff_client, db):
    ticket = make_ticket(email="stranger@example.com")
    response = act(staff_client, "restrict", ticket)
    assert any("No account is linked" in m for m in shown_messages(response))
    assert not fresh(ticket).events.exists()


def test_staff_record_an_objection(staff_client, staff, runner):
    ticket = make_ticket(kind=Kind.OBJECTION, user=runner)

    response = act(staff_client, "record_objection", ticket)

    assert "1 objection(s) recorded." in shown_messages(response)
    assert events(ticket) == [("objection_recorded", "staff", staff.pk)]
    assert fresh(ticket).status == Status.IN_PROGRESS
    assert mail.outbox == []


def test_an_action_on_several_tickets_reports_each_that_could_not_be_done(
    staff_client, runner
):
    linked = make_ticket(user=runner)
    unlinked = make_ticket(email="stranger@example.com")

    response = act(staff_client, "restrict", linked, unlinked)

    shown = shown_messages(response)
    assert "1 account(s) restricted." in shown
    assert any(m.startswith(f"{unlinked.reference}: ") for m in shown)


# Extend


def received_days_ago(days):
    return local_noon(timezone.localdate() - timedelta(days=days))


def test_staff_extend_before_the_due_date_and_the_requester_is_told_why(
    staff_client, staff, runner
):
    ticket = make_ticket(user=runner, received_at=received_days_ago(10))
    received = timezone.localdate() - timedelta(days=10)
    assert staff_client.get(step_url(ticket, "extend")).status_code == 200

    response = staff_client.post(step_url(ticket, "extend"),
                                 {"reason": "Your data spans six years of runs."}, follow=True)

    assert any(m.startswith("Extended") for m in shown_messages(response))
    ticket = fresh(ticket)
    assert ticket.extended_until == months_later(received, 3)
    assert ticket.effective_due_on == ticket.extended_until
    assert ticket.due_on == months_later(received, 1)  # the original stays on record
    assert ticket.extension_reason == "Your data spans six years of runs."
    assert ticket.extension_notified_at is not None
    assert ticket.status == Status.IN_PROGRESS
    assert events(ticket)[-1] == ("extended", "staff", staff.pk)
    (told,) = mail.outbox
    assert told.to == ["runner@example.com"]
    assert ticket.reference in told.subject
    assert "Your data spans six years of runs." in told.body
    assert formats.date_format(ticket.extended_until, "DATE_FORMAT") in told.body


def test_a_ccpa_request_is_extended_to_90_days(staff_client, db):
    ticket = make_ticket(kind=Kind.CCPA_KNOW, received_at=received_days_ago(40))
    staff_client.post(step_url(ticket, "extend"), {"reason": "Many requests at once."})
    assert fresh(ticket).extended_until == timezone.localdate() + timedelta(days=50)


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}])
def test_an_extension_needs_a_reason(staff_client, data):
    ticket = make_ticket(received_at=received_days_ago(3))

    response = staff_client.post(step_url(ticket, "extend"), data)

    assert response.status_code == 400
    if data:  # a browser always sends the (empty) text area
        assert "This field is required." in response.content.decode()
    assert fresh(ticket).extended_until is None
    assert not fresh(ticket).events.exists()
    assert mail.outbox == []


def test_a_request_is_extended_only_once(staff_client):
    ticket = make_ticket(received_at=received_days_ago(3))
    staff_client.post(step_url(ticket, "extend"), {"reason": "Complex."})
    first = fresh(ticket).extended_until
    mail.outbox.clear()

    response = staff_client.post(step_url(ticket, "extend"), {"reason": "Even more complex."},
                                 follow=True)

    assert "This request was already extended." in shown_messages(response)
    assert fresh(ticket).extended_until == first
    assert fresh(ticket).extension_reason == "Complex."
    assert mail.outbox == []


def test_no_extension_after_the_due_date(staff_client):
    ticket = make_ticket(received_at=received_days_ago(40))
    assert ticket.due_on < timezone.localdate()

    response = staff_client.post(step_url(ticket, "extend"), {"reason": "Complex."},
                                 follow=True)

    assert ("The due date has passed: an extension must be sent before it."
            in shown_messages(response))
    assert fresh(ticket).extended_until is None
    assert mail.outbox == []


def test_an_extension_on_the_due_date_itself_is_still_in_time(staff_client):
    today = timezone.localdate()
    ticket = make_ticket(received_at=received_days_ago(1))
    DataRequest.objects.filter(pk=ticket.pk).update(due_on=today)
    staff_client.post(step_url(ticket, "extend"), {"reason": "Complex."})
    assert fresh(ticket).extended_until is not None


# Refuse


REFUSAL = {"basis": "excessive", "explanation": "You asked for the same copy four times."}


@pytest.mark.parametrize("missing", ["basis", "explanation"])
def test_a_refusal_needs_a_basis_and_an_explanation(staff_client, missing):
    ticket = make_ticket()
    data = {key: value for key, value in REFUSAL.items() if key != missing}

    response = staff_client.post(step_url(ticket, "refuse"), data)

    assert response.status_code == 400
    assert fresh(ticket).status == Status.IN_PROGRESS
    assert mail.outbox == []


def test_a_refusal_with_an_unknown_basis_is_not_accepted(staff_client):
    ticket = make_ticket()
    response = staff_client.post(step_url(ticket, "refuse"), {**REFUSAL, "basis": "bored"})
    assert response.status_code == 400
    assert fresh(ticket).status == Status.IN_PROGRESS


def test_staff_refuse_and_the_email_names_the_right_to_complain(staff_client, staff):
    ticket = make_ticket()

    response = staff_client.post(step_url(ticket, "refuse"), REFUSAL, follow=True)

    assert "Refused; the requester has been emailed." in shown_messages(response)
    ticket = fresh(ticket)
    assert ticket.status == Status.REFUSED
    assert (ticket.refusal_basis, ticket.refusal_explanation) == (
        "excessive", "You asked for the same copy four times.")
    assert ticket.closed_at is not None and ticket.response_sent_at is not None
    event = ticket.events.get()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "refused", staff, "in_progress", "refused")
    (told,) = mail.outbox
    assert told.to == ["runner@example.com"]
    body = " ".join(told.body.split())
    assert "Excessive (for example repetitive)" in body
    assert "You asked for the same copy four times." in body
    assert "complaint with a data protection supervisory authority" in body
    assert "remedy before a court" in body


# Complete


def test_staff_complete_with_a_reply_that_is_emailed(staff_client, staff):
    ticket = make_ticket()

    response = staff_client.post(step_url(ticket, "complete"),
                                 {"reply": "Attached is everything we hold."}, follow=True)

    assert "Completed; the reply has been emailed." in shown_messages(response)
    ticket = fresh(ticket)
    assert ticket.status == Status.COMPLETED
    assert ticket.outcome == "Attached is everything we hold."
    assert ticket.closed_at is not None and ticket.response_sent_at is not None
    event = ticket.events.get()
    assert (event.action, event.actor, event.to_status) == ("completed", staff, "completed")
    (told,) = mail.outbox
    assert told.to == ["runner@example.com"]
    assert ticket.reference in told.subject
    assert "Attached is everything we hold." in told.body


def test_completing_needs_a_reply(staff_client):
    ticket = make_ticket()
    assert staff_client.post(step_url(ticket, "complete"), {"reply": ""}).status_code == 400
    assert fresh(ticket).status == Status.IN_PROGRESS
    assert mail.outbox == []


def test_an_unverified_request_cannot_be_completed(staff_client):
    ticket = make_ticket(status=Status.AWAITING_VERIFICATION)
    response = staff_client.post(step_url(ticket, "complete"), {"reply": "Done."},
                                 follow=True)
    assert "Verify the request first." in shown_messages(response)
    assert fresh(ticket).status == Status.AWAITING_VERIFICATION
    assert mail.outbox == []


# Closed tickets


STEP_DATA = {"extend": {"reason": "Complex."}, "refuse": REFUSAL,
             "complete": {"reply": "Done again."}, "erase": {}}


@pytest.mark.parametrize("step", ["extend", "refuse", "complete", "erase"])
def test_steps_on_a_closed_ticket_are_refused(staff_client, runner, step):
    ticket = make_ticket(user=runner, status=Status.COMPLETED, closed_at=timezone.now(),
                         outcome="Done.", received_at=received_days_ago(2))

    response = staff_client.post(step_url(ticket, step), STEP_DATA[step], follow=True)

    assert "This request is closed." in shown_messages(response)
    after = fresh(ticket)
    assert (after.status, after.outcome, after.extended_until, after.refusal_basis) == (
        Status.COMPLETED, "Done.", None, "")
    assert after.user == runner
    assert not after.events.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("action", ["build_export", "restrict", "record_objection"])
def test_actions_on_a_closed_ticket_are_refused(staff_client, runner, action):
    ticket = make_ticket(user=runner, status=Status.REFUSED, closed_at=timezone.now())
    response = act(staff_client, action, ticket)
    assert f"{ticket.reference}: This request is closed." in shown_messages(response)
    runner.refresh_from_db()
    assert runner.processing_restricted_at is None
    assert not fresh(ticket).events.exists()
    assert mail.outbox == []


def test_a_closed_ticket_offers_no_steps(staff_client, runner):
    ticket = make_ticket(user=runner, status=Status.COMPLETED, closed_at=timezone.now())
    page = staff_client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()
    for step in STEP_DATA:
        assert step_url(ticket, step) not in page


# The register and the account's own download


def test_the_register_lists_the_data_request_fields(db):
    registered = {(f.model, f.field) for f in personal_data.fields()}
    for field in ("user", "contact_email", "details", "assignee"):
        assert ("privacy.DataRequest", field) in registered
    assert ("privacy.DataRequestEvent", "actor") in registered
    assert "data_requests" in {section.name for section in personal_data.sections()}


def test_the_register_lists_every_field_housekeeping_purges_as_personal(db):
    # privacy_housekeeping empties these 24 months after closing because they can hold
    # personal data; the policy's table is rendered from the register.
    registered = {(f.model, f.field) for f in personal_data.fields()}
    purged = ["contact_email", "details", "outcome", "refusal_explanation", "extension_reason"]
    missing = [name for name in purged if ("privacy.DataRequest", name) not in registered]
    assert missing == []


def test_the_account_download_includes_the_persons_data_requests(runner_client, runner):
    mine = make_ticket(kind=Kind.ERASURE, user=runner, details="Please delete my runs.")
    make_ticket(email="other@example.com", details="Someone else's request.")

    data = json.loads(runner_client.get("/accounts/export/").content)

    (exported,) = data["data_requests"]
    assert exported["reference"] == mine.reference
    assert exported["right"] == "erasure"
    assert exported["status"] == "in_progress"
    assert exported["contact_email"] == "runner@example.com"
    assert exported["details"] == "Please delete my runs."
    assert exported["due_on"] == mine.due_on.isoformat()
    assert mine.link_key not in json.dumps(data)
    fields = {row["data"] for row in data["why_we_keep_it"]}
    assert "privacy.DataRequest.contact_email" in fields


@pytest.mark.parametrize("step", ["erase", "export", "restrict", "complete"])
def test_nothing_is_done_for_an_address_nobody_confirmed(staff_client, runner, step):
    # A letter or email entered by staff, or a form request not yet confirmed: the account
    # it names may not be the sender's.
    ticket = make_ticket(user=runner, status=Status.AWAITING_VERIFICATION,
                         email="someone.else@example.com")
    if step == "erase":
        staff_client.post(step_url(ticket, "erase"), follow=True)
    elif step == "complete":
        staff_client.post(step_url(ticket, "complete"), {"reply": "Done."}, follow=True)
    else:
        act(staff_client, {"export": "build_export", "restrict": "restrict"}[step], ticket)

    runner.refresh_from_db()
    assert runner.processing_restricted_at is None
    assert fresh(ticket).status == Status.AWAITING_VERIFICATION
    assert fresh(ticket).export_file == ""
    assert not [m for m in mail.outbox if m.to == ["someone.else@example.com"]]


def test_erasing_the_account_deletes_an_export_already_built(staff_client, runner):
    ticket = make_ticket(user=runner)
    act(staff_client, "build_export", ticket)
    path = services.export_file_path(fresh(ticket))
    assert path.exists()

    staff_client.post(step_url(ticket, "erase"))

    assert not path.exists()
