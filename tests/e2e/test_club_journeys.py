"""Clubs as their people meet them, in Chromium on a phone: an organiser starts a club and
invites a co-organiser, who accepts from the emailed link and then changes the club's run."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from clubs.models import Club
from runs.models import Run
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.e2e.conftest import open_menu
from tests.e2e.test_run_journeys import (  # noqa: F401
    browser_of,
    in_three_days_at_half_past_six,
    site_url_is_live_server,
)
from tests.runs.conftest import make_run

pytestmark = pytest.mark.browser


def link_in(body, path_part):
    (link,) = [line for line in body.splitlines() if path_part in line]
    return link.strip()


def test_start_a_club_invite_a_co_organiser_who_accepts_and_edits_a_club_run(
    browser_of, site_url_is_live_server  # noqa: F811
):
    bojan = make_user("bojan@example.com", "Bojan")
    make_user("dora@example.com", "Dora")
    runner = make_user("ana@example.com", "Ana")

    # Bojan starts the club from the clubs page.
    page = browser_of("bojan@example.com")
    open_menu(page)
    page.get_by_role("link", name="Clubs").click()
    page.get_by_role("link", name="Start a club").click()
    page.get_by_label("Name").fill("Tivoli Trotters")
    page.get_by_label("Place").fill("Ljubljana")
    page.get_by_label("Description").fill("Easy runs around Tivoli every week.")
    page.get_by_role("button", name="Create club").click()
    expect(page.get_by_role("heading", name="Tivoli Trotters")).to_be_visible()
    assert page.url.endswith("/clubs/tivoli-trotters/")
    expect(page.get_by_text("Your club is created.")).to_be_visible()

    # He publishes a run for it, which a runner joins.
    club = Club.objects.get(slug="tivoli-trotters")
    run = make_run(bojan, club=club, title="Tivoli hill loop")
    run.join(runner)

    # He invites Dora by her address.
    page.get_by_role("link", name="Edit the club and its organisers").click()
    page.get_by_label("Email").fill("Dora@Example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("We emailed an invitation to dora@example.com.")).to_be_visible()
    expect(page.get_by_text("Invitations waiting")).to_be_visible()

    # Dora opens the link in her email: the page changes nothing until she accepts.
    (invitation,) = [m for m in mail.outbox if m.to == ["dora@example.com"]]
    assert "Bojan invited you to organise the club Tivoli Trotters" in invitation.body
    dora = browser_of("dora@example.com")
    dora.goto(link_in(invitation.body, "/invitation/"))
    expect(dora.get_by_text("Bojan invited you to organise this club with them.")).to_be_visible()
    assert not club.organisers.filter(user__email="dora@example.com").exists()
    dora.get_by_role("button", name="Accept").click()
    expect(dora.get_by_text("You now organise Tivoli Trotters.")).to_be_visible()
    expect(dora.get_by_text("Bojan, Dora")).to_be_visible()
    assert [m for m in mail.outbox if m.to == ["bojan@example.com"]
            and "Dora now organises Tivoli Trotters" in m.subject]

    # The invitation is used: opening it again shows her the club she now organises.
    dora.goto(link_in(invitation.body, "/invitation/"))
    assert dora.url.endswith("/clubs/tivoli-trotters/")
    expect(dora.get_by_role("link", name="Edit the club and its organisers")).to_be_visible()

    # Dora changes the club's run, which she did not create: its runner is told.
    dora.get_by_role("link", name="Tivoli hill loop").click()
    expect(dora.get_by_text("Tivoli Trotters")).to_be_visible()
    dora.get_by_role("link", name="Edit or cancel this run").click()
    dora.get_by_label("Meeting point").fill("Tivoli castle, front steps")
    dora.get_by_role("button", name="Save changes").click()
    expect(dora.get_by_text("Your changes are saved. 1 runner was emailed.")).to_be_visible()
    run.refresh_from_db()
    assert run.meeting_point == "Tivoli castle, front steps"
    assert [m for m in mail.outbox if m.to == ["ana@example.com"]
            and "Tivoli castle, front steps" in m.body]
    assert Run.objects.get(pk=run.pk).sequence == 1


def test_follow_a_club_get_one_digest_of_a_new_series_and_unfollow_in_one_click(
    browser, browser_of, site_url_is_live_server  # noqa: F811
):
    bojan = make_user("bojan@example.com", "Bojan")
    make_user("ana@example.com", "Ana")
    make_club(bojan, name="Tivoli Trotters")

    # Ana finds the club and follows it.
    ana = browser_of("ana@example.com")
    ana.goto("/clubs/?q=tivoli")
    ana.get_by_role("link", name="Tivoli Trotters").click()
    ana.get_by_role("button", name="Follow").click()
    expect(ana.get_by_text("You follow Tivoli Trotters")).to_be_visible()
    expect(ana.get_by_text("Followed by 1 runner")).to_be_visible()

    # Bojan publishes a weekly series for the club on the new-run page.
    organiser = browser_of("bojan@example.com")
    organiser.goto("/clubs/tivoli-trotters/")
    organiser.get_by_role("link", name="Organise a run for this club").click()
    expect(organiser.get_by_label("Club")).to_have_value("tivoli-trotters")
    first = in_three_days_at_half_past_six()
    organiser.get_by_label("Title").fill("River loop")
    organiser.get_by_label("Starts at").fill(first.strftime("%Y-%m-%dT%H:%M"))
    organiser.get_by_label("Meeting point").fill("Cobblers' Bridge")
    organiser.get_by_label("Distance (km)").fill("8")
    organiser.get_by_label("Repeat weekly for N more weeks").fill("2")
    organiser.get_by_role("button", name="Create run").click()
    expect(organiser.get_by_role("link", name="Tivoli Trotters")).to_be_visible()

    # One email reaches Ana, the series on one line.
    (digest,) = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    assert digest.subject == "New runs from Tivoli Trotters"
    assert "3 dates: River loop" in digest.body
    assert digest.body.count("River loop") == 1
    ana.goto("/")
    expect(ana.get_by_role("heading", name="From clubs you follow")).to_be_visible()

    # Her mail program's "Unsubscribe": RFC 8058's POST, no cookie, no CSRF token.
    one_click = re.fullmatch(r"<(\S+)>", digest.extra_headers["List-Unsubscribe"])[1]
    mail_program = browser.new_context()
    try:
        response = mail_program.request.post(
            one_click, data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert 200 <= response.status < 300, response.status
    finally:
        mail_program.close()
    ana.goto("/clubs/tivoli-trotters/")
    expect(ana.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    expect(ana.get_by_text("No followers yet")).to_be_visible()


def test_subscribe_to_my_calendar_then_the_run_moves_and_the_feed_shows_it(
    browser, browser_of, site_url_is_live_server  # noqa: F811
):
    bojan = make_user("bojan@example.com", "Bojan")
    ana = make_user("ana@example.com", "Ana")
    run = make_run(bojan, title="Tivoli hill loop", starts_at=in_three_days_at_half_past_six())
    run.join(ana)

    # Ana makes her private calendar link on My account.
    page = browser_of("ana@example.com")
    open_menu(page)
    page.get_by_role("link", name="My account").click()
    page.get_by_role("button", name="Make my calendar link").click()
    expect(page.get_by_text("Your calendar link is ready.")).to_be_visible()
    address = page.get_by_label("Your calendar's address").input_value()
    assert "/calendar/mine.ics?token=" in address
    expect(page.get_by_role("link", name="Subscribe")).to_have_attribute(
        "href", re.compile(r"^webcal://"))

    # Her calendar app subscribes: no cookie, just the address.
    app = browser.new_context()
    try:
        first = app.request.get(address)
        assert first.status == 200
        (event,) = Calendar.from_ical(first.body()).walk("VEVENT")
        assert event.decoded("DTSTART") == run.starts_at
        sequence = int(event["SEQUENCE"])
        etag = first.headers["etag"]

        # Bojan moves the run an hour later on its edit page.
        organiser = browser_of("bojan@example.com")
        organiser.goto(f"/runs/{run.pk}/edit/")
        later = timezone.localtime(run.starts_at) + timedelta(hours=1)
        organiser.get_by_label("Starts at").fill(later.strftime("%Y-%m-%dT%H:%M"))
        organiser.get_by_role("button", name="Save changes").click()
        expect(organiser.get_by_text("Your changes are saved.")).to_be_visible()

        # Her app asks again as it does, with the ETag it has: the feed changed.
        second = app.request.get(address, headers={"If-None-Match": etag})
        assert second.status == 200
        (event,) = Calendar.from_ical(second.body()).walk("VEVENT")
        assert event.decoded("DTSTART") == later
        assert int(event["SEQUENCE"]) == sequence + 1
        # And once more: nothing changed since, so nothing is sent.
        third = app.request.get(address, headers={"If-None-Match": second.headers["etag"]})
        assert third.status == 304
    finally:
        app.close()
