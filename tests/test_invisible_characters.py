"""Names, titles and places others read refuse characters that hide themselves or turn
the text around, so nobody can pass for someone else in a list or an email subject; every
language's letters, emoji and spaces stay allowed."""

from html import unescape

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from clubs.models import Club
from joinrun.text import one_line
from runs.models import Run
from tests.conftest import PASSWORD, make_user
from tests.runs.test_organise import run_form

HIDDEN = "Remove the invisible or direction-changing characters"
ONE_LINE = "Use one line, without control characters."

SPOOFS = [
    ("Ana \u202eKovač", HIDDEN),  # right-to-left override
    ("Ana\u200bKovač", HIDDEN),  # zero-width space
    ("\u2066Ana\u2069", HIDDEN),  # isolates
    ("Ana\u200dKovač", HIDDEN),  # a joiner between Latin letters only hides
    ("\u3164", HIDDEN),  # Hangul filler: a "blank" name
    ("Ana\ue000", HIDDEN),  # private use
    ("Ana\x1b[31m", ONE_LINE),  # ESC: a terminal colour code
    ("Ana\u2028Bcc: x@example.com", ONE_LINE),  # line separator
]

WRITING = [
    "Žiga Šuštaršič", "Αθηνά", "Ольга", "سارة", "שרה", "陈静", "さくら", "김지수",
    "می\u200cخواهم",  # Persian: the zero-width non-joiner is part of the word
    "क्\u200dष",  # Devanagari with a joiner
    "Ana 🏃\u200d♀\ufe0f", "👨\u200d👩\u200d👧", "❤\ufe0f\u200d🔥",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Glasgow",  # Scotland's flag
    "Ana\u00a0Kovač", "Tokyo\u3000Runners",
]


@pytest.mark.parametrize(("value", "message"), SPOOFS)
def test_hiding_and_turning_characters_are_refused_with_a_message(value, message):
    with pytest.raises(ValidationError) as refused:
        one_line(value)
    assert message in refused.value.messages[0]


@pytest.mark.parametrize("value", WRITING)
def test_every_language_emoji_and_spaces_stay_allowed(value):
    one_line(value)


@pytest.fixture
def signed_in(client, db):
    client.force_login(make_user("ana@example.com", "Ana"))
    return client


@pytest.mark.parametrize(("value", "message"), SPOOFS[:2] + SPOOFS[-2:])
def test_a_display_name_is_checked_at_sign_up(client, db, value, message):
    response = client.post("/accounts/signup/", {"email": "new@example.com",
                                                 "display_name": value, "password": PASSWORD})
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert not User.objects.exists()


@pytest.mark.parametrize(("value", "message"), SPOOFS[:2] + SPOOFS[-2:])
def test_a_display_name_is_checked_on_the_profile(signed_in, value, message):
    response = signed_in.post("/accounts/profile/",
                              {"form": "display_name", "display_name": value})
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert User.objects.get().display_name == "Ana"


def test_a_display_name_in_another_script_is_saved(signed_in):
    signed_in.post("/accounts/profile/", {"form": "display_name", "display_name": "سارة 🏃"})
    assert User.objects.get().display_name == "سارة 🏃"


@pytest.mark.parametrize("field", ["title", "meeting_point"])
@pytest.mark.parametrize(("value", "message"), SPOOFS[:2] + SPOOFS[-2:])
def test_a_run_title_and_meeting_point_are_checked(signed_in, field, value, message):
    response = signed_in.post("/runs/new/", run_form(**{field: value}))
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert not Run.objects.exists()


@pytest.mark.parametrize("field", ["name", "place"])
@pytest.mark.parametrize("value", ["Tivoli \u202eTrotters", "Tivoli\u200bTrotters"])
def test_a_club_name_and_place_are_checked(signed_in, field, value):
    data = {"name": "Tivoli Trotters", "place": "Ljubljana", "description": "", field: value}
    response = signed_in.post("/clubs/new/", data)
    assert response.status_code == 400
    assert HIDDEN in unescape(response.content.decode())
    assert not Club.objects.exists()
