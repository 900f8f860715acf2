"""Data requests in the admin: the overdue-first list, who may see it, a ticket's page, and
requests staff enter by hand."""

import html
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import formats, timezone

from accounts.models import User
from privacy import services
from privacy.models import DataRequest, DataRequestEvent, Kind, Status
from tests.conftest import make_user
from tests.runs.conftest import make_run

TICKETS = "/admin/privacy/datarequest/"
STEPS = ["extend", "refuse", "complete", "erase"]
ACTIONS = ["mark_verified", "build_export", "restrict", "lift_restriction", "record_objection"]


def local_noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)))


def make_ticket(*, kind=Kind.ACCESS, email="someone@example.com", due_in=None, **fields):
    """A saved ticket; ``due_in``: its legal due date that many days from today."""
    fields.setdefault("received_at", timezone.now())
    if fields.get("status") not in (None, Status.RECEIVED, Status.AWAITING_VERIFICATION):
        fields.setdefault("verification", "staff")  # past verification: checked by staff

    ticket = DataRequest(kind=kind, contact_email=email, **fields)
    ticket.save()
    if due_in is not None:
        ticket.due_on = timezone.localdate() + timedelta(days=due_in)
        DataRequest.objects.filter(pk=ticket.pk).update(due_on=ticket.due_on)
    return ticket


def closed(**fields):
    return make_ticket(status=Status.COMPLETED, closed_at=timezone.now(), **fields)


def text(response):
    return html.unescape(response.content.decode())


def listed(response):
    """The references on the changelist, top to bottom."""
    assert response.status_code == 200
    return re.findall(r'<th class="field-reference"><a [^>]*>(JR-\d{4}-\d{4})</a></th>',
                      response.content.decode())


def cell(response, ticket, column):
    """What the changelist shows in ``column`` of ``ticket``'s row."""
    row = re.search(rf"<tr>(?:(?!</tr>).)*>{ticket.reference}</a>.*?</tr>",
                    response.content.decode(), re.S)
    assert row, ticket.reference
    return html.unescape(re.search(rf'<td class="field-{column}[^"]*">(.*?)</td>', row[0])[1])


def days_left_cell(response, ticket):
    return cell(response, ticket, "days_left_shown")


def readonly_value(page, field):
    found = re.search(rf'field-{field}">.*?<div class="readonly">(.*?)</div>', page, re.S)
    assert found, field
    return html.unescape(re.sub(r"<[^>]+>", "", found[1])).strip()


def staff_with(*codenames, email="helper@example.com"):
    user = make_user(email, "Helper", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="privacy", codename__in=codenames))
    return user


# The list


def test_list_shows_due_days_left_reference_right_and_status(staff_client):
    ticket = make_ticket(kind=Kind.ERASURE, due_in=12)

    response = staff_client.get(TICKETS)

    assert listed(response) == [ticket.reference]
    assert cell(response, ticket, "right") == "Erasure"  # narrow; the ticket says it all
    assert cell(response, ticket, "status") == "Received"
    assert cell(response, ticket, "due") == formats.localize(ticket.due_on)
    assert days_left_cell(response, ticket) == '<span class="days-left days-left-fine">12</span>'


@pytest.mark.parametrize(("due_in", "colour", "shown"), [
    (-3, "overdue", "3 overdue"),
    (-1, "overdue", "1 overdue"),
    (0, "soon", "0"),
    (4, "soon", "4"),
    (5, "fine", "5"),
    (30, "fine", "30"),
])
def test_days_left_are_coloured_red_when_overdue_and_amber_under_five(
    staff_client, due_in, colour, shown
):
    ticket = make_ticket(due_in=due_in)
    cell = days_left_cell(staff_client.get(TICKETS), ticket)
    assert cell == f'<span class="days-left days-left-{colour}">{shown}</span>'


def test_due_date_and_days_left_count_to_the_extended_date(staff_client):
    ticket = make_ticket(due_in=-10)
    extended_until = timezone.localdate() + timedelta(days=40)
    DataRequest.objects.filter(pk=ticket.pk).update(extended_until=extended_until)

    response = staff_client.get(TICKETS)

    assert cell(response, ticket, "due") == formats.localize(extended_until)
    assert days_left_cell(response, ticket) == '<span class="days-left days-left-fine">40</span>'


def test_closed_tickets_have_no_days_left(staff_client):
    ticket = closed(due_in=-20)
    assert days_left_cell(staff_client.get(TICKETS), ticket) == "–"


def test_open_tickets_come_first_the_most_overdue_on_top_and_closed_ones_last(staff_client):
    later = make_ticket(due_in=10)
    most_overdue = make_ticket(due_in=-5)
    closed_long_ago = closed(due_in=-40)
    overdue = make_ticket(due_in=-1)
    closed_recently = closed(due_in=3)
    waiting = make_ticket(due_in=2, status=Status.AWAITING_REQUESTER)

    order = listed(staff_client.get(TICKETS))

    assert order[:4] == [t.reference for t in (most_overdue, overdue, waiting, later)]
    assert set(order[4:]) == {closed_long_ago.reference, closed_recently.reference}


def test_an_extended_ticket_is_ordered_by_its_extended_date(staff_client):
    extended = make_ticket(due_in=-10)
    DataRequest.objects.filter(pk=extended.pk).update(
        extended_until=timezone.localdate() + timedelta(days=50))
    due_soon = make_ticket(due_in=2)

    assert listed(staff_client.get(TICKETS)) == [due_soon.reference, extended.reference]


@pytest.fixture
def spread(db):
    """Tickets across the filters, by name."""
    return {
        "overdue": make_ticket(due_in=-2),
        "due_today": make_ticket(due_in=0),
        "in_a_week": make_ticket(due_in=7),
        "in_eight_days": make_ticket(due_in=8),
        "extended": make_ticket(due_in=-3, extended_until=timezone.localdate()
                                + timedelta(days=20)),
        "unverified": make_ticket(due_in=20, status=Status.AWAITING_VERIFICATION),
        "closed_overdue": closed(due_in=-30, kind=Kind.ERASURE),
        "refused": make_ticket(due_in=-1, status=Status.REFUSED, closed_at=timezone.now(),
                               kind=Kind.CCPA_DELETE),
    }


@pytest.mark.parametrize(("query", "names"), [
    ({"due": "overdue"}, {"overdue"}),
    ({"due": "week"}, {"overdue", "due_today", "in_a_week"}),
    ({"due": "unverified"}, {"unverified"}),
    ({"status__exact": "refused"}, {"refused"}),
    ({"status__exact": "awaiting_verification"}, {"unverified"}),
    ({"kind__exact": "erasure"}, {"closed_overdue"}),
    ({"kind__exact": "ccpa_delete"}, {"refused"}),
])
def test_staff_filter_tickets(staff_client, spread, query, names):
    references = {spread[name].reference for name in names}
    assert set(listed(staff_client.get(TICKETS, query))) == references


def test_filters_are_offered_by_name(staff_client, db):
    page = text(staff_client.get(TICKETS))
    for label in ("Overdue", "Due within 7 days", "Awaiting verification", "By Status",
                  "By Right", "?due=overdue", "?due=week", "?due=unverified"):
        assert label in page


def test_staff_find_a_ticket_by_reference_or_email(staff_client):
    ana = make_ticket(email="ana@example.com")
    bojan = make_ticket(email="bojan@example.org")

    assert listed(staff_client.get(TICKETS, {"q": bojan.reference})) == [bojan.reference]
    assert listed(staff_client.get(TICKETS, {"q": "ana@example.com"})) == [ana.reference]
    assert listed(staff_client.get(TICKETS, {"q": "example.org"})) == [bojan.reference]
    assert listed(staff_client.get(TICKETS, {"q": "nobody@example.com"})) == []


# Who may see tickets


def every_staff_url(ticket):
    change = f"{TICKETS}{ticket.pk}/"
    return [TICKETS, f"{change}change/"] + [f"{change}{step}/" for step in STEPS]


STEP_DATA = {"extend": {"reason": "Many requests at once."},
             "refuse": {"basis": "excessive", "explanation": "The fifth copy this month."},
             "complete": {"reply": "Done."}, "erase": {}}


def assert_ticket_untouched(ticket, user):
    fresh = DataRequest.objects.get(pk=ticket.pk)
    assert fresh.status == ticket.status
    assert fresh.extended_until is None
    assert fresh.user_id == user.pk
    assert User.objects.get(pk=user.pk).processing_restricted_at is None
    assert not fresh.events.exists()


def test_staff_without_privacy_permissions_are_refused_every_ticket_page(client, runner):
    ticket = make_ticket(user=runner, status=Status.AWAITING_VERIFICATION)
    client.force_login(staff_with())

    for url in every_staff_url(ticket):
        assert client.get(url).status_code == 403, url
    for step in STEPS:
        assert client.post(f"{TICKETS}{ticket.pk}/{step}/", STEP_DATA[step]).status_code == 403
    for action in ACTIONS:
        response = client.post(TICKETS, {"action": action, "_selected_action": [ticket.pk]})
        assert response.status_code == 403, action
    assert_ticket_untouched(ticket, runner)


def test_staff_who_may_only_view_see_tickets_but_cannot_act(client, runner):
    ticket = make_ticket(user=runner, status=Status.AWAITING_VERIFICATION)
    client.force_login(staff_with("view_datarequest"))

    listing = client.get(TICKETS)
    assert listed(listing) == [ticket.reference]
    assert 'name="action"' not in listing.content.decode()
    page = client.get(f"{TICKETS}{ticket.pk}/change/")
    assert page.status_code == 200
    for step in STEPS:
        assert f"{TICKETS}{ticket.pk}/{step}/" not in page.content.decode()
        assert client.get(f"{TICKETS}{ticket.pk}/{step}/").status_code == 403
        assert client.post(f"{TICKETS}{ticket.pk}/{step}/", STEP_DATA[step]).status_code == 403
    for action in ACTIONS:
        client.post(TICKETS, {"action": action, "_selected_action": [ticket.pk]})
    assert_ticket_untouched(ticket, runner)


def test_staff_who_may_change_tickets_are_offered_the_actions_and_steps(client, runner):
    ticket = make_ticket(user=runner, status=Status.IN_PROGRESS)
    client.force_login(staff_with("view_datarequest", "change_datarequest"))

    listing = client.get(TICKETS).content.decode()
    for action in ACTIONS:
        assert f'<option value="{action}">' in listing
    assert 'value="delete_selected"' not in listing
    page = client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()
    for step in STEPS:
        assert f'href="{TICKETS}{ticket.pk}/{step}/"' in page
        assert client.get(f"{TICKETS}{ticket.pk}/{step}/").status_code == 200


def test_runners_are_refused_the_tickets_admin(runner_client, runner):
    ticket = make_ticket(user=runner, status=Status.IN_PROGRESS)

    for url in every_staff_url(ticket):
        response = runner_client.get(url)
        assert response["Location"].startswith("/admin/login/"), url
        assert runner_client.get(url, follow=True).status_code == 403, url
    for step in STEPS:
        runner_client.post(f"{TICKETS}{ticket.pk}/{step}/", STEP_DATA[step])
    runner_client.post(TICKETS, {"action": "restrict", "_selected_action": [ticket.pk]})
    assert_ticket_untouched(ticket, runner)


def test_anonymous_visitors_are_sent_to_the_login_page(client, runner):
    ticket = make_ticket(user=runner, status=Status.IN_PROGRESS)

    for url in every_staff_url(ticket):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/?next="), url
        assert response.status_code == 200
    response = client.get(TICKETS)
    assert client.get(response["Location"])["Location"] == (
        "/accounts/login/?next=/admin/privacy/datarequest/")
    client.post(f"{TICKETS}{ticket.pk}/erase/")
    assert_ticket_untouched(ticket, runner)


# A ticket's page


def test_ticket_page_summarises_the_requesters_account(staff_client, runner, organiser):
    for days in (2, 3):
        make_run(organiser, days=days).join(runner)
    ticket = make_ticket(user=runner, email=runner.email, status=Status.IN_PROGRESS)

    page = staff_client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()

    summary = readonly_value(page, "account_summary")
    assert "Ana" in summary
    assert "runner@example.com" in summary
    assert "2 runs joined" in summary
    assert "not restricted" in summary
    assert f'href="/admin/accounts/user/{runner.pk}/change/"' in page

    runner.processing_restricted_at = local_noon(date(2026, 3, 14))
    runner.save()
    page = staff_client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()
    assert "processing restricted since 2026-03-14" in readonly_value(page, "account_summary")


def test_ticket_page_says_when_no_account_is_linked(staff_client, db):
    ticket = make_ticket(email="stranger@example.com")
    page = staff_client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()
    assert readonly_value(page, "account_summary").startswith("No account linked")


def test_ticket_page_counts_the_persons_earlier_requests(staff_client, runner):
    now = timezone.now()
    make_ticket(email=runner.email, received_at=now - timedelta(days=200))
    make_ticket(email="old-address@example.com", user=runner,
                received_at=now - timedelta(days=100))
    make_ticket(email="someone-else@example.com", received_at=now - timedelta(days=50))
    ticket = make_ticket(email=runner.email, user=runner, received_at=now - timedelta(days=10))
    make_ticket(email=runner.email, received_at=now - timedelta(days=1))

    page = staff_client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()

    assert readonly_value(page, "earlier_requests") == "2"


def test_ticket_history_is_shown_read_only(staff_client, staff):
    ticket = services.file_request(DataRequest(kind=Kind.ACCESS,
                                               contact_email="someone@example.com"))
    services.mark_verified(ticket, how="staff", actor=staff)
    services.record_objection(ticket, actor=staff)
    events = list(ticket.events.all())
    assert len(events) == 3

    page = staff_client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()

    inline = page[page.index('id="events-group"'):]
    shown = re.findall(r'<td class="field-what">\s*<p>(.*?)</p>', inline)
    assert shown == ["Request received", "Verified by staff", "Objection recorded"]
    assert 'name="events-0-message"' not in inline  # shown, not editable
    assert "events-0-DELETE" not in inline
    assert 'name="events-MAX_NUM_FORMS" value="0"' in inline  # no room for a new row

    # A forged new row is not saved, and the rows stay as they were.
    staff_client.post(f"{TICKETS}{ticket.pk}/change/", {
        "assignee": "", "events-TOTAL_FORMS": "4", "events-INITIAL_FORMS": "3",
        "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "1000",
        **{f"events-{i}-id": str(event.pk) for i, event in enumerate(events)},
        **{f"events-{i}-request": str(ticket.pk) for i in range(4)},
        **{f"events-{i}-DELETE": "on" for i in range(3)},
        "events-3-action": "forged", "events-3-actor_label": "staff",
    })
    assert list(ticket.events.values_list("pk", "action", "message")) == [
        (e.pk, e.action, e.message) for e in events]


def test_events_cannot_be_changed_once_written(db):
    ticket = make_ticket()
    event = ticket.log("objection_recorded")
    event.message = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert DataRequestEvent.objects.get(pk=event.pk).message == ""


def test_tickets_cannot_be_deleted(staff_client):
    ticket = make_ticket()
    delete = f"{TICKETS}{ticket.pk}/delete/"

    assert staff_client.get(delete).status_code == 403
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    staff_client.post(TICKETS, {"action": "delete_selected", "_selected_action": [ticket.pk],
                                "post": "yes"})
    assert DataRequest.objects.filter(pk=ticket.pk).exists()
    page = staff_client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()
    assert 'class="deletelink"' not in page


# Requests that came by post or email


def test_staff_enter_a_request_received_by_post_with_its_date(staff_client, staff, runner):
    add = staff_client.get(f"{TICKETS}add/").content.decode()
    assert 'name="received_at_0"' in add

    response = staff_client.post(f"{TICKETS}add/", {
        "kind": "access", "channel": "post",
        "received_at_0": "2025-01-31", "received_at_1": "09:30:00",
        "user": str(runner.pk), "contact_email": "ana.by.post@example.com",
        "details": "Letter asking for a copy.", "assignee": str(staff.pk),
    })

    assert response.status_code == 302
    ticket = DataRequest.objects.get()
    assert ticket.reference == "JR-2025-0001"
    assert timezone.localtime(ticket.received_at) == local_noon(date(2025, 1, 31)).replace(
        hour=9, minute=30)
    assert ticket.due_on == date(2025, 2, 28)
    assert ticket.target_on == date(2025, 2, 1)
    assert ticket.regime == "gdpr"
    assert ticket.channel == "post"
    # Like any request: acknowledged at once and waiting for the sender to confirm it
    # (or for staff who know the sender to verify it).
    assert ticket.status == Status.AWAITING_VERIFICATION
    assert (ticket.user, ticket.assignee) == (runner, staff)
    (event,) = ticket.events.all()
    assert (event.action, event.actor, event.actor_label, event.to_status) == (
        "received", staff, "staff", "awaiting_verification")
    assert "runner@example.com" not in event.message and "Ana" not in event.message
    subjects = [m.subject for m in mail.outbox if m.to == ["ana.by.post@example.com"]]
    assert any("We received your data request JR-2025-0001" in s for s in subjects)
    assert any("Confirm your data request JR-2025-0001" in s for s in subjects)


def test_the_received_date_is_fixed_once_the_ticket_is_saved(staff_client):
    ticket = make_ticket(received_at=local_noon(date(2026, 1, 31)))
    page = staff_client.get(f"{TICKETS}{ticket.pk}/change/").content.decode()
    assert 'name="received_at_0"' not in page
    assert 'name="contact_email"' not in page
    staff_client.post(f"{TICKETS}{ticket.pk}/change/", {
        "assignee": "", "received_at_0": "2026-03-01", "received_at_1": "12:00:00",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
    })
    ticket.refresh_from_db()
    assert timezone.localdate(ticket.received_at) == date(2026, 1, 31)
    assert ticket.due_on == date(2026, 2, 28)

