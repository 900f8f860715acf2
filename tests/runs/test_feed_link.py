"""My account: making, showing and replacing the link to my private calendar feed."""

import html
import re

import pytest
from django.test import Client

from joinrun import personal_data
from runs.models import CalendarFeed

PROFILE = "/accounts/profile/"
NEW_LINK = "/calendar/mine/new-link/"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://join.example"


def page_text(response):
    return html.unescape(response.content.decode())


def shown_address(response):
    """The address in the read-only field, as a person would select and copy it."""
    (address,) = re.findall(
        r'<input type="text" id="calendar-feed-address" value="([^"]+)" readonly',
        page_text(response))
    return address


def test_without_a_link_my_account_offers_to_make_one(runner_client):
    text = page_text(runner_client.get(PROFILE))

    assert "Make my calendar link" in text
    assert f'action="{NEW_LINK}"' in text
    assert "calendar-feed-address" not in text


def test_making_the_link_shows_it_with_subscribe_and_copy(runner_client, runner):
    response = runner_client.post(NEW_LINK, follow=True)

    assert response.redirect_chain == [(PROFILE, 302)]
    text = page_text(response)
    assert "Your calendar link is ready" in text
    secret = runner.calendar_feed.secret
    assert len(secret) >= 43  # 32 random bytes: 256 bits
    address = shown_address(response)
    assert address == f"https://join.example/calendar/mine.ics?token={secret}"
    assert f'href="webcal://join.example/calendar/mine.ics?token={secret}"' in text
    assert re.search(r'<button type="button" class="button-secondary" '
                     r'data-copy="calendar-feed-address"[^>]* hidden>Copy</button>', text)
    assert "Make a new link" in text
    assert "Make my calendar link" not in text


def test_the_shown_address_opens_my_feed(runner_client, runner):
    address = shown_address(runner_client.post(NEW_LINK, follow=True))

    calendar_app = Client()
    response = calendar_app.get(address.removeprefix("https://join.example"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")


def test_a_new_link_stops_the_old_one_at_once(runner_client, runner):
    old = shown_address(runner_client.post(NEW_LINK, follow=True))

    response = runner_client.post(NEW_LINK, follow=True)

    new = shown_address(response)
    assert new != old
    assert "The old link has stopped working" in page_text(response)
    calendar_app = Client()
    assert calendar_app.get(old.removeprefix("https://join.example")).status_code == 404
    assert calendar_app.get(new.removeprefix("https://join.example")).status_code == 200
    assert CalendarFeed.objects.filter(user=runner).count() == 1


def test_making_a_link_needs_a_signed_in_post_with_its_csrf_token(client, runner):
    response = client.post(NEW_LINK)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    client.force_login(runner)
    assert client.get(NEW_LINK).status_code == 405

    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(runner)
    assert guarded.post(NEW_LINK).status_code == 403
    assert not CalendarFeed.objects.filter(user=runner).exists()


def test_my_link_is_in_my_export_and_goes_with_my_account(runner_client, runner):
    runner_client.post(NEW_LINK)
    address = runner.calendar_feed.url

    exported = personal_data.export_for(runner)["calendar_feed"]
    assert exported["address"] == address

    personal_data.erase_for(runner)
    assert not CalendarFeed.objects.exists()
    assert Client().get(address.removeprefix("https://join.example")).status_code == 404
