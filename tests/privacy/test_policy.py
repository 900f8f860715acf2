"""The privacy policy page: what a reader finds on it, and that it keeps its own promises."""

import html
import re

from django.urls import reverse

from joinrun import personal_data
from privacy.models import Kind
from privacy.policy import _label


def readable(text):
    """What a reader sees: no tags, entities decoded, one space between words."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([.,;:])", r"\1", text)


def get_policy(client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    page = response.content.decode()
    return page, readable(page)


def test_the_page_keeps_its_heading(client, db):
    page, _ = get_policy(client)
    assert re.search(r"<h1>\s*Privacy policy\s*</h1>", page)


def test_every_register_field_appears_with_its_purpose_and_retention(client, db):
    page, text = get_policy(client)
    fields = personal_data.fields()
    assert fields
    for entry in fields:
        assert f'<th scope="row">{html.escape(str(_label(entry)))}</th>' in page, entry
        assert readable(str(entry.purpose)) in text, entry
        assert readable(str(entry.retention)) in text, entry


def test_every_register_section_has_its_own_heading(client, db):
    page, _ = get_policy(client)
    for section in personal_data.sections():
        heading = f'<h3 id="data-{section.name}-title">{html.escape(str(section.title))}</h3>'
        assert heading in page


def test_the_page_makes_its_commitments(client, db):
    _, text = get_policy(client)
    for sentence in (
        "We do not and never will track you.",
        "We never sell information about you",
        "We use the least data possible.",
        "What we collect and why is explained where we ask for it",
        "we receive your email address and what you write",
        "24 months after the matter is closed we delete your email address and what you wrote",
        "To run the service",
        "To keep the site working and make it better",
        "To send you the emails you need",
        "To prevent fraud and abuse",
        "We use cookies only to remember your account.",
        "We answer within one month and aim for a day.",
        "In effect from 30 November 2026.",
    ):
        assert sentence in text, sentence


def test_the_page_states_the_legal_corrections_on_fees_and_deadlines(client, db):
    _, text = get_policy(client)
    assert "The first copy of your data is free." in text
    assert ("only for further copies, or for requests that are manifestly unfounded or "
            "excessive") in text
    assert ("the month can be extended by two more months; we then tell you why within the "
            "first month") in text
    assert ("CCPA requests get an acknowledgement within 10 business days and an answer "
            "within 45 days.") in text
    assert "it needs no proof of who you are" in text


def test_log_files_are_described_and_kept_at_most_14_days(client, db):
    _, text = get_policy(client)
    for held in ("the time", "without anything after the “?”", "how long it took",
                 "user agent", "its address only", "IP address with the last part removed"):
        assert held in text, held
    assert "Log files are not linked to a person" in text
    assert "we keep them at most 14 days" in text


def test_the_contact_address_comes_from_the_settings(client, db, settings):
    settings.PRIVACY_CONTACT_EMAIL = "privacy@example.org"
    page, text = get_policy(client)
    assert 'href="mailto:privacy@example.org"' in page
    assert "about your data at any time: privacy@example.org." in text
    assert "info@join.run" not in page


def test_every_right_links_to_the_request_form_with_its_kind(client, db):
    page, _ = get_policy(client)
    form = reverse("privacy:new_request")
    for kind in Kind:
        assert f'href="{form}?kind={kind.value}"' in page, kind


def test_rights_that_can_be_self_served_link_to_the_account_pages(client, db):
    page, text = get_policy(client)
    for name in ("accounts:export", "accounts:profile", "accounts:delete"):
        assert f'href="{reverse(name)}"' in page, name
    for right in ("Access", "Rectification", "Erasure", "Restriction", "Objection",
                  "Portability", "Know", "Delete", "Correct", "Do not sell or share"):
        assert re.search(rf"<dt id=\"right-[\w-]+\">{right}</dt>", page), right
    assert "Download my data" in text
    assert "Delete my account" in text


def test_the_cookie_table_names_the_cookies_the_site_really_sets(client, db, settings):
    settings.SESSION_COOKIE_NAME = "jr_session"
    settings.CSRF_COOKIE_NAME = "jr_csrf"
    settings.SESSION_COOKIE_AGE = 14 * 24 * 60 * 60
    page, text = get_policy(client)
    assert "<code>jr_session</code>" in page
    assert "<code>jr_csrf</code>" in page
    assert "Until you close the browser, or 14 days if you tick “Remember me”." in text
    assert f"{settings.CSRF_COOKIE_AGE // 86400} days (about a year)" in text
    assert "no language cookie" in text


def test_the_default_cookie_lifetimes_are_30_days_and_about_a_year(client, db):
    _, text = get_policy(client)
    assert "sessionid" in text and "csrftoken" in text
    assert "or 30 days if you tick “Remember me”" in text
    assert "364 days (about a year)" in text


def test_an_anonymous_reader_of_the_policy_gets_no_cookie(client, db):
    response = client.get("/privacy/")
    assert not response.cookies
    assert not response.has_header("Set-Cookie")


def test_a_signed_in_reader_sees_the_same_policy(runner_client):
    response = runner_client.get("/privacy/")
    assert response.status_code == 200
    assert "We do not and never will track you." in readable(response.content.decode())


def test_the_retention_summary_covers_every_kind_of_data(client, db):
    _, text = get_policy(client)
    for period in (
        "Until you delete your account",
        "At most 14 days.",
        "deleted 24 months after the request is closed",
        "7 days; then the download link stops working and the file is deleted.",
        "Until you disconnect Strava or delete your account.",
    ):
        assert period in text, period


def test_the_strava_section_links_strava_policy_and_says_what_we_keep(client, db):
    page, text = get_policy(client)
    assert 'href="https://www.strava.com/legal/privacy"' in page
    assert "Data from Strava is shown only to you" in text
    assert "only when you ask" in text
    for kept in ("athlete id", "scope", "encrypted", "the ids of the activities you linked"):
        assert kept in text, kept


def test_the_page_says_gpc_is_honoured_and_links_the_statement(client, db):
    page, text = get_policy(client)
    assert "If your browser sends the Global Privacy Control signal, we honour it." in text
    assert "it changes nothing here" in text
    assert 'href="/.well-known/gpc.json"' in page


def test_every_table_of_contents_link_leads_to_a_heading(client, db):
    page, _ = get_policy(client)
    toc = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
    targets = re.findall(r'href="#([\w-]+)"', toc)
    assert len(targets) >= 10
    for target in targets:
        # A heading, or a fold's content (a link to it opens the fold) under its heading.
        assert re.search(rf'<h[23] id="{target}">', page) or re.search(
            rf'<h[23] id="{target}-title">[^<]*</h[23]></summary>\s*<div [^>]*id="{target}">',
            page), target


def test_the_change_history_lists_this_version_and_the_first(client, db):
    _, text = get_policy(client)
    assert ("30 November 2026 This version: the promises in short first, plain names in the "
            "table of what we store, a section on your location") in text
    assert ("24 November 2026 A data-request form for every right, corrections on fees and "
            "deadlines, and a section on Strava.") in text
    assert "The first published version." in text
