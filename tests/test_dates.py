"""Dates read one way per language, on pages and in emails: Slovenian writes the month in
the genitive ("sreda, 2. decembra 2026, ob 18:30"), English "Wednesday 2 December 2026,
18:30"; emails add the time zone."""

from datetime import datetime, timedelta
from html import unescape

from django.core import mail
from django.utils import timezone

from privacy.policy import EFFECTIVE
from runs import emails
from tests.conftest import make_user
from tests.runs.conftest import make_run

# Independent of Django's names: what a Slovenian and an English reader expect.
SL_WEEKDAYS = ["ponedeljek", "torek", "sreda", "četrtek", "petek", "sobota", "nedelja"]
SL_MONTHS = ["januarja", "februarja", "marca", "aprila", "maja", "junija", "julija",
             "avgusta", "septembra", "oktobra", "novembra", "decembra"]
EN_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]


def next_second_of_december():
    """18:30 on the first 2 December at least a week away, in the site's zone."""
    now = timezone.localtime()
    year = now.year if now.date() + timedelta(days=7) <= now.date().replace(month=12, day=2) \
        else now.year + 1
    return timezone.make_aware(datetime(year, 12, 2, 18, 30))


def page(client, path, language):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return unescape(response.content.decode())


def reminder_to(runner, run):
    mail.outbox.clear()
    assert emails.send_reminder(run, [runner]) == 1
    (email,) = mail.outbox
    return email.body


def test_slovenian_dates_take_the_month_in_the_genitive(client, organiser):
    starts = next_second_of_december()
    run = make_run(organiser, title="Decembrski tek", starts_at=starts)
    day = f"2. decembra {starts.year}"
    full = f"{SL_WEEKDAYS[starts.weekday()]}, {day}, ob 18:30"

    assert full in page(client, run.get_absolute_url(), "sl")
    assert full in page(client, "/runs/", "sl")  # the card's date, read out in full
    runner = make_user("spela@example.com", "Špela", language="sl")
    run.join(runner)
    assert f"{full} po ljubljanskem času" in reminder_to(runner, run)
    for text in (page(client, run.get_absolute_url(), "sl"), reminder_to(runner, run)):
        assert "december " not in text  # never the nominative

    effective = f"{EFFECTIVE.day}. {SL_MONTHS[EFFECTIVE.month - 1]} {EFFECTIVE.year}"
    assert effective in page(client, "/privacy/", "sl")


def test_english_dates_read_the_same_on_the_page_the_card_and_the_email(client, organiser):
    starts = next_second_of_december()
    run = make_run(organiser, title="December run", starts_at=starts)
    full = f"{EN_WEEKDAYS[starts.weekday()]} 2 December {starts.year}, 18:30"

    assert full in page(client, run.get_absolute_url(), "en")
    assert full in page(client, "/runs/", "en")
    runner = make_user("ann@example.com", "Ann", language="en")
    run.join(runner)
    assert f"{full}, Ljubljana time" in reminder_to(runner, run)

    effective = f"{EFFECTIVE.day} {EN_MONTHS[EFFECTIVE.month - 1]} {EFFECTIVE.year}"
    assert effective in page(client, "/privacy/", "en")
