"""Audit finding 9 (issue 14): odd values staff (or a link someone sent them) put in the
admin's filters and forms get a 400 with a message, never a 500."""

import html
from datetime import timedelta

import pytest
from django.utils import timezone

from privacy.models import DataRequest

LISTS = ["/admin/privacy/datarequest/", "/admin/runs/run/", "/admin/clubs/club/"]
HUGE_YEAR = "-99999999999999999999"


def assert_refused(response):
    assert response.status_code == 400
    page = response.content.decode()
    assert "That filter cannot be used" in page
    assert "A filter " in page


@pytest.mark.parametrize("query", [
    {"starts_at__year": HUGE_YEAR}, {"starts_at__year": "99999999999999999999"},
    {"starts_at__year": "2026", "starts_at__month": "99999999999999999999"},
    {"starts_at__year": "2026", "starts_at__month": "2", "starts_at__day": "31"},
    {"starts_at__year": "0"}, {"starts_at__year": "9999", "starts_at__month": "12"},
])
def test_run_date_hierarchy_with_impossible_dates(staff_client, query):
    response = staff_client.get("/admin/runs/run/", query)
    assert_refused(response)


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("query", [
    {"q": "a\x00b"}, {"status": "\x00"}, {"kind": "\x00"}, {"due": "\x00"},
    {"when": "\x00"}, {"cancelled": "\x00"}, {"state": "\x00"}, {"o": "\x00"},
    {"channel": "\x00"}, {"regime": "\x00"}, {"p": "\x00"}, {"\x00": "1"},
    {"received_at__year": HUGE_YEAR}, {"starts_at__year": "\x00"},
])
def test_a_nul_or_huge_number_in_an_admin_filter_is_a_400(staff_client, url, query):
    assert_refused(staff_client.get(url, query))


def test_a_good_date_hierarchy_still_filters(staff_client):
    response = staff_client.get("/admin/runs/run/", {"starts_at__year": "2026"})
    assert response.status_code == 200


@pytest.mark.parametrize(("day", "message"), [
    ("9999-12-31", "A request cannot arrive in the future."),
    ((timezone.localdate() + timedelta(days=1)).isoformat(),
     "A request cannot arrive in the future."),
    ("0001-01-01", "join run answers requests received from 25 May 2018 on."),
    ("2018-05-24", "join run answers requests received from 25 May 2018 on."),
])
def test_a_request_entered_with_an_impossible_received_date_is_refused(
    staff_client, day, message
):
    response = staff_client.post("/admin/privacy/datarequest/add/", {
        "kind": "access", "channel": "email", "received_at_0": day,
        "received_at_1": "12:00:00", "contact_email": "someone@example.com",
    })

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not DataRequest.objects.exists()


def test_a_request_received_yesterday_is_entered(staff_client):
    response = staff_client.post("/admin/privacy/datarequest/add/", {
        "kind": "access", "channel": "email", "received_at_1": "12:00:00",
        "received_at_0": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "contact_email": "someone@example.com",
    })
    assert response.status_code == 302
    assert DataRequest.objects.count() == 1
