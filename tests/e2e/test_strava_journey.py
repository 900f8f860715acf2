"""Strava as a runner meets it, in Chromium, against the fake Strava: sign in with Strava
(a new account), join a run, link the activity after running it, see its distance,
disconnect, and see the link gone. The site reaches the fake only through its Strava URLs,
as it would reach Strava."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from playwright.sync_api import expect

from runs.models import Run
from strava.models import StravaConnection
from tests.runs.conftest import make_run

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-fresh-password-for-zala-7"


@pytest.fixture
def strava_site(settings, live_server, fake_strava, organiser):
    # Strava sends the browser back to SITE_URL/strava/callback/: here, the test server.
    settings.SITE_URL = live_server.url
    athlete = fake_strava.add_athlete("Zala", "Kranjc")
    fake_strava.signed_in_athlete = athlete
    run = make_run(organiser, title="Castle hill loop", days=2, capacity=10)
    return fake_strava, athlete, run


def test_runner_signs_in_with_strava_links_an_activity_and_disconnects(page, strava_site):
    fake, athlete, run = strava_site

    # Sign in with Strava: a new account named after the athlete's first name.
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Strava").click()
    expect(page.get_by_text("Welcome to join run, Zala!")).to_be_visible()
    assert StravaConnection.objects.get(athlete_id=athlete).user.email is None

    # Join the run.
    page.goto(run.get_absolute_url())
    page.get_by_role("button", name="Join run").click()
    expect(page.get_by_text("You're going", exact=True)).to_be_visible()

    # The run happens: the test data moves its start into the past, and the runner's
    # watch uploads the activity to Strava.
    started = run.starts_at - timedelta(days=3)
    Run.objects.filter(pk=run.pk).update(starts_at=started)
    activity = fake.add_activity(athlete, start=started + timedelta(minutes=4),
                                 name="Castle hill with the group", distance=8040.0,
                                 moving_time=2650)
    fake.add_activity(athlete, start=started + timedelta(hours=2), name="Cool-down ride",
                      sport_type="Ride", distance=12000.0, moving_time=1800)

    page.goto(run.get_absolute_url())
    page.get_by_role("link", name="Link my Strava activity").click()
    expect(page.get_by_text("Castle hill with the group")).to_be_visible()
    page.get_by_label("Castle hill with the group").check()
    page.get_by_role("button", name="Link this activity").click()

    # Back on the run page: the runner's own activity, from Strava.
    panel = page.locator(".strava-panel")
    expect(panel.get_by_text("Castle hill with the group")).to_be_visible()
    expect(panel.get_by_text("8.04 km")).to_be_visible()
    expect(panel.get_by_text("44:10")).to_be_visible()
    expect(panel.get_by_role("link", name="View on Strava")).to_have_attribute(
        "href", f"https://www.strava.com/activities/{activity}")
    expect(panel.get_by_text("Powered by Strava")).to_be_visible()
    # Linking marks nothing the others see: "came" is join run's own mark, so the
    # runner says "I was there" themselves.
    expect(page.locator(".names").get_by_text("came")).to_have_count(0)
    page.get_by_role("button", name="I was there").click()
    expect(page.locator(".names").get_by_text("came")).to_be_visible()

    # Disconnect: this account signs in only with Strava, so it is asked to add an email
    # and a password first.
    page.goto("/accounts/profile/")
    expect(page.get_by_text("To disconnect it, first add an email and a password")
           ).to_be_visible()
    expect(page.get_by_role("button", name="Disconnect Strava")).to_have_count(0)
    email_form = page.locator("form", has=page.get_by_role("button", name="Save email",
                                                           exact=True))
    email_form.get_by_label("Email").fill("zala@example.com")
    email_form.get_by_role("button", name="Save email", exact=True).click()
    expect(page.get_by_text("We sent a link to zala@example.com.")).to_be_visible()
    # The address counts once its owner confirms it from the emailed link.
    (confirmation,) = [m for m in mail.outbox if m.to == ["zala@example.com"]]
    page.goto(re.search(r"http://\S+/accounts/confirm/\?token=\S+", confirmation.body)[0])
    expect(page.get_by_text("This link changes the email of the join run account “Zala” "
                            "to zala@example.com.")).to_be_visible()
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_text("Your email zala@example.com is confirmed.")).to_be_visible()
    password_form = page.locator("form", has=page.get_by_role("button",
                                                              name="Set a password"))
    password_form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    password_form.get_by_label("New password again").fill(NEW_PASSWORD)
    password_form.get_by_role("button", name="Set a password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    page.get_by_role("button", name="Disconnect Strava").click()
    expect(page.get_by_text("Strava is disconnected.")).to_be_visible()
    assert athlete in fake.deauthorized

    # The link went with it; the runner's own "I was there" stays.
    page.goto(run.get_absolute_url())
    expect(page.get_by_text("Castle hill with the group")).to_have_count(0)
    expect(page.get_by_role("link", name="View on Strava")).to_have_count(0)
    expect(page.locator(".names").get_by_text("came")).to_be_visible()
    expect(page.get_by_role("link", name="Connect with Strava")).to_be_visible()
