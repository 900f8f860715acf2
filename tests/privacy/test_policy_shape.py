"""The policy's shape: the plain promises first, then details that fold away, in words a
reader uses (no model paths). Its height on a phone: tests/e2e/test_site_basics.py."""

import re

from joinrun import personal_data
from privacy.policy import PLAIN_LABELS, _label
from tests.privacy.test_policy import get_policy

FOLDED = ["how-we-use", "writing-to-us", "log-files", "cookies", "retention", "strava",
          "location", "your-rights", "answers", "gpc"]


def article(page):
    return re.search(r'<article class="prose policy">.*</article>', page, re.S).group(0)


def test_the_page_shows_no_model_paths(client, db):
    page, text = get_policy(client)
    for entry in personal_data.fields():
        assert f"{entry.model}.{entry.field}" not in page, entry
    # Nothing shaped like app.Model.field anywhere a reader looks.
    assert not re.search(r"\b[a-z_]+\.[A-Z]\w+\.\w+", text)


def test_every_field_has_a_plain_name_of_its_own(client, db):
    labels = [str(_label(entry)) for entry in personal_data.fields()]
    assert "User" not in labels
    for section in personal_data.sections():
        names = [str(_label(entry)) for entry in section.fields]
        assert len(names) == len(set(names)), section.name


def test_every_plain_name_still_belongs_to_a_registered_field(db):
    registered = {f"{entry.model}.{entry.field}" for entry in personal_data.fields()}
    assert set(PLAIN_LABELS) <= registered


def test_the_four_promises_come_first(client, db):
    page, _ = get_policy(client)
    body = article(page)
    first_heading = re.search(r"<h2 [^>]*>(.*?)</h2>", body).group(1)
    assert first_heading == "In short"
    short = re.search(r'<section aria-labelledby="in-short"[^>]*>(.*?)</section>',
                      body, re.S).group(1)
    assert len(re.findall(r"<li>", short)) == 4
    assert "<details" not in short
    assert body.index('id="in-short"') < body.index('class="toc"') < body.index("<details")
    for promise in ("We do not and never will track you.",
                    "We never sell information about you, and we never share it.",
                    "We use the least data possible."):
        assert f"<strong>{promise}</strong>" in short, promise


def test_the_details_fold_away_under_their_headings(client, db):
    page, _ = get_policy(client)
    body = article(page)
    assert "<details open" not in body
    # Each link target is inside its fold (its heading is in the summary), so a link to it
    # opens the fold: tests/e2e/test_policy_links.py.
    for section in personal_data.sections():
        name = f"data-{section.name}"
        assert re.search(rf'<details class="policy-fold">\s*<summary><h3 id="{name}-title">'
                         rf'[^<]*</h3></summary>\s*<div [^>]*id="{name}">', body), name
    for name in FOLDED:
        assert re.search(rf'<details class="policy-fold">\s*<summary><h2 id="{name}-title">'
                         rf'[^<]*</h2></summary>\s*<div [^>]*id="{name}">', body), name


def test_the_policy_promises_that_the_location_stays_in_the_browser(client, db):
    page, text = get_policy(client)
    assert "“Sort by distance from me” asks your browser where you are" in text
    assert ("The sorting happens in your browser: your location is never sent to us or to "
            "anyone else, never stored, and never put in a page address.") in text
    assert re.search(r'<li><a href="#location">Your location</a></li>', page)
