"""Calendar feeds that calendar apps subscribe to: a club's public one and each person's
private one. What they hold, who may read them, and how they answer an app that polls."""

import gzip
import secrets
from datetime import timedelta

import pytest
from django.utils.http import parse_http_date
from icalendar import Calendar

from clubs import services as club_services
from clubs.models import Club
from runs.feed_views import _last_change
from runs.models import CalendarFeed, Participation, Run
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user
from tests.runs.conftest import make_run
from tests.runs.test_calendar import read_events
from tests.runs.test_organise import edit_form, local_input


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://join.example"


def club_feed(club):
    return f"/clubs/{club.slug}/calendar.ics"


def feed_of(user):
    feed, _created = CalendarFeed.objects.get_or_create(
        user=user, defaults={"secret": secrets.token_urlsafe(32)})
    return feed


def my_feed(user):
    return f"/calendar/mine.ics?token={feed_of(user).secret}"


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return {str(event["UID"]): event for event in read_events(response.content)}


def uid(run):
    return f"run-{run.pk}@join.run"


def calendar_name(response):
    return str(Calendar.from_ical(response.content)["X-WR-CALNAME"])


def last_modified(response):
    return parse_http_date(response["Last-Modified"])


# A club's feed


def test_club_feed_has_its_runs_of_the_last_30_days_and_to_come(client, organiser):
    club = make_club(organiser)
    upcoming = make_club_run(club, organiser, days=3, title="Hills")
    recent = make_club_run(club, organiser, days=-10)
    cancelled = make_club_run(club, organiser, days=5, title="Storm run")
    cancelled.cancel(reason="Storm")
    long_ago = make_club_run(club, organiser, days=-40)
    elsewhere = make_run(organiser, days=3)
    other_club = make_club_run(make_club(organiser, name="Koper Coast"), organiser, days=3)

    response = client.get(club_feed(club))

    found = events(response)
    assert set(found) == {uid(upcoming), uid(recent), uid(cancelled)}
    assert {uid(long_ago), uid(elsewhere), uid(other_club)}.isdisjoint(found)
    assert found[uid(upcoming)]["SUMMARY"] == "Hills"
    assert found[uid(upcoming)]["STATUS"] == "CONFIRMED"
    assert found[uid(cancelled)]["SUMMARY"] == "Cancelled: Storm run"
    assert found[uid(cancelled)]["STATUS"] == "CANCELLED"
    assert found[uid(cancelled)].decoded("SEQUENCE") == 1
    assert calendar_name(response) == "Tivoli Trotters"
    assert b"METHOD" not in response.content


def test_club_feed_event_is_the_run_a_download_gave(client, organiser):
    club = make_club(organiser)
    run = make_club_run(club, organiser)
    (downloaded,) = read_events(client.get(f"/runs/{run.pk}/calendar.ics").content)

    subscribed = events(client.get(club_feed(club)))[uid(run)]

    for name in ("UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL"):
        assert subscribed.decoded(name) == downloaded.decoded(name)


def test_club_feed_is_in_the_readers_language(client, organiser):
    club = make_club(organiser)
    make_club_run(club, organiser, title="Storm run").cancel()

    english = client.get(club_feed(club))
    slovenian = client.get(club_feed(club), HTTP_ACCEPT_LANGUAGE="sl")

    (event,) = events(slovenian).values()
    assert event["SUMMARY"] == "Odpovedano: Storm run"
    assert english["ETag"] != slovenian["ETag"]
    assert "Accept-Language" in slovenian["Vary"]


def test_anonymous_reader_of_a_club_feed_gets_no_cookie(client, organiser):
    club = make_club(organiser)
    make_club_run(club, organiser)

    response = client.get(club_feed(club))

    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert "public" in response["Cache-Control"]


def test_unknown_or_deactivated_club_has_no_feed(client, organiser):
    club = make_club(organiser)
    assert client.get("/clubs/no-such-club/calendar.ics").status_code == 404

    club_services.deactivate(club)

    assert client.get(club_feed(club)).status_code == 404


def test_renamed_clubs_old_feed_address_leads_to_the_new_one(client, organiser):
    club = make_club(organiser)
    old_address = club_feed(club)
    club_services.update(club, name="Rožnik Runners", place=club.place, description="")

    response = client.get(old_address)

    assert response.status_code == 301
    assert response["Location"] == "/clubs/roznik-runners/calendar.ics"
    assert calendar_name(client.get(response["Location"])) == "Rožnik Runners"


def test_closed_club_keeps_its_feed_with_its_runs_cancelled(client, organiser):
    club = make_club(organiser)
    run = make_club_run(club, organiser)
    club_services.close(club, by=organiser)

    assert events(client.get(club_feed(club)))[uid(run)]["STATUS"] == "CANCELLED"


# Polling: ETag, Last-Modified, 304


def test_unchanged_club_feed_answers_304_to_an_etag_or_a_date(client, organiser):
    club = make_club(organiser)
    make_club_run(club, organiser)
    first = client.get(club_feed(club))

    by_etag = client.get(club_feed(club), HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get(club_feed(club), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    for answer in (by_etag, by_date):
        assert answer.status_code == 304
        assert answer.content == b""
        assert answer["ETag"] == first["ETag"]
        assert answer["Last-Modified"] == first["Last-Modified"]


def test_moving_a_run_gives_the_club_feed_new_bytes(client, organiser, organiser_client):
    club = make_club(organiser)
    run = make_club_run(club, organiser)
    first = client.get(club_feed(club))

    later = local_input(run.starts_at + timedelta(hours=1))
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, starts_at=later))

    answer = client.get(club_feed(club), HTTP_IF_NONE_MATCH=first["ETag"])
    assert answer.status_code == 200
    assert answer["ETag"] != first["ETag"]
    assert events(answer)[uid(run)].decoded("SEQUENCE") == 1
    answer = client.get(club_feed(club), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert answer.status_code == 200


def test_renaming_the_club_changes_its_feed(client, organiser):
    club = make_club(organiser)
    first = client.get(club_feed(club))
    club_services.update(club, name="Tivoli Trotters Two", place=club.place, description="")

    answer = client.get(club_feed(club), HTTP_IF_NONE_MATCH=first["ETag"])

    assert answer.status_code == 200
    assert calendar_name(answer) == "Tivoli Trotters Two"


def test_a_run_leaving_the_window_advances_last_modified(client, organiser):
    """No run changed, yet the feed did: Last-Modified must say so."""
    club = make_club(organiser)
    make_club_run(club, organiser, days=3)
    ageing = make_club_run(club, organiser, days=-29)
    first = client.get(club_feed(club))

    Run.objects.filter(pk=ageing.pk).update(starts_at=ageing.starts_at - timedelta(days=2))

    answer = client.get(club_feed(club), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert answer.status_code == 200
    assert uid(ageing) not in events(answer)
    assert last_modified(answer) > last_modified(first)


def test_a_big_feed_travels_compressed_to_apps_that_accept_it(client, organiser):
    club = make_club(organiser)
    for days in range(1, 41):
        make_club_run(club, organiser, days=days, description="Easy pace, coffee after.")
    plain = client.get(club_feed(club))

    packed = client.get(club_feed(club), HTTP_ACCEPT_ENCODING="gzip")

    assert packed["Content-Encoding"] == "gzip"
    assert len(packed.content) < len(plain.content) / 4
    assert gzip.decompress(packed.content) == plain.content
    assert client.get(club_feed(club), HTTP_ACCEPT_ENCODING="gzip",
                      HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 304


def test_a_club_feed_is_written_once_per_change_then_served_from_memory(
    client, organiser, django_assert_num_queries
):
    club = make_club(organiser)
    run = make_club_run(club, organiser, title="Hill loop")
    assert client.get(club_feed(club)).status_code == 200
    with django_assert_num_queries(2):  # the club, the fingerprint's rows: no rendering
        assert [str(e["SUMMARY"]) for e in events(client.get(club_feed(club))).values()] == [
            "Hill loop"]
    run.cancel(reason="Ice")
    assert [str(e["SUMMARY"]) for e in events(client.get(club_feed(club))).values()] == [
        "Cancelled: Hill loop"]


@pytest.mark.parametrize("conditional", [False, True])
def test_club_feed_queries_stay_flat_from_5_to_50_runs(
    client, organiser, django_assert_num_queries, conditional
):
    club = make_club(organiser)
    for count in (5, 50):
        while club.runs.count() < count:
            make_club_run(club, organiser, days=1 + club.runs.count() % 40)
        seen = client.get(club_feed(club))  # as the app's last poll: the change is stored
        headers = {"HTTP_IF_NONE_MATCH": seen["ETag"]} if conditional else {}
        # The club and the fingerprint's rows: the feed's bytes were written by the
        # previous poll and kept under its fingerprint.
        with django_assert_num_queries(2):
            response = client.get(club_feed(club), **headers)
        assert response.status_code == (304 if conditional else 200)
        if not conditional:
            assert len(events(response)) == count


# A person's private feed


def test_my_feed_has_the_runs_i_go_to_wait_for_and_organise(client, runner, organiser):
    going = make_run(organiser, title="Going", capacity=5)
    going.join(runner)
    full = make_run(organiser, title="Full", capacity=1)
    full.join(make_user("first@example.com", "First"))
    full.join(runner)
    mine = make_run(runner, title="Mine")
    club = make_club(organiser, co_organisers=[runner])
    club_run = make_club_run(club, organiser, title="Club run")
    past = make_run(organiser, days=-10, title="Last week")
    past_joined = make_run(organiser, days=-40)
    for run in (past, past_joined):  # joined before they started
        Participation.objects.create(run=run, runner=runner, status="going")
    not_mine = make_run(organiser, title="Not mine")

    response = client.get(my_feed(runner))

    found = events(response)
    assert set(found) == {uid(going), uid(full), uid(mine), uid(club_run), uid(past)}
    assert uid(not_mine) not in found and uid(past_joined) not in found
    statuses = {str(event["SUMMARY"]): str(event["STATUS"]) for event in found.values()}
    assert statuses == {"Going": "CONFIRMED", "Full": "TENTATIVE", "Mine": "CONFIRMED",
                        "Club run": "CONFIRMED", "Last week": "CONFIRMED"}
    assert str(found[uid(full)]["DESCRIPTION"]).startswith("You're on the waitlist")
    assert calendar_name(response) == "join run: my runs"


def test_my_feed_shows_a_cancelled_run_as_cancelled(client, runner, run):
    run.join(runner)
    run.cancel(reason="Ice")

    (event,) = events(client.get(my_feed(runner))).values()

    assert event["STATUS"] == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("Cancelled: ")


def test_my_feed_is_in_my_accounts_language(client, runner, run):
    runner.language = "sl"
    runner.save()
    run.join(runner)
    run.cancel()

    response = client.get(my_feed(runner), HTTP_ACCEPT_LANGUAGE="en")

    (event,) = events(response).values()
    assert str(event["SUMMARY"]).startswith("Odpovedano: ")
    assert response["ETag"].endswith('-sl"')


def test_my_feed_is_private_and_sets_no_cookie(client, runner, run):
    run.join(runner)

    response = client.get(my_feed(runner))

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert not response.cookies


@pytest.mark.parametrize("token", ["", "wrong", secrets.token_urlsafe(32),
                                   "a" * 42 + "\x00", "x" * 500])
def test_a_wrong_or_missing_token_is_a_plain_404(client, runner, run, token):
    run.join(runner)
    feed_of(runner)
    missing = client.get("/calendar/mine.ics")

    response = client.get("/calendar/mine.ics", {"token": token})

    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content
    assert b"Ana" not in response.content and run.title.encode() not in response.content
    assert "ETag" not in response


def test_a_deactivated_accounts_feed_is_gone(client, runner, run):
    run.join(runner)
    address = my_feed(runner)
    runner.is_active = False
    runner.save()

    assert client.get(address).status_code == 404


def test_my_feed_answers_304_until_my_status_changes(client, runner, organiser):
    run = make_run(organiser, capacity=1)
    first_runner = make_user("first@example.com", "First")
    run.join(first_runner)
    run.join(runner)
    first = client.get(my_feed(runner))
    assert events(first)[uid(run)]["STATUS"] == "TENTATIVE"
    sequence = int(events(first)[uid(run)]["SEQUENCE"])
    assert client.get(my_feed(runner), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(my_feed(runner),
                      HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    run.leave(first_runner)  # moves me up from the waitlist; the run itself is unchanged

    answer = client.get(my_feed(runner), HTTP_IF_NONE_MATCH=first["ETag"])
    assert answer.status_code == 200
    assert events(answer)[uid(run)]["STATUS"] == "CONFIRMED"
    # A change of status: the app replaces its copy (RFC 5545 3.8.7.4).
    assert int(events(answer)[uid(run)]["SEQUENCE"]) == sequence + 1


def test_moving_back_to_the_waitlist_raises_my_sequence_again(client, runner, organiser):
    run = make_run(organiser, capacity=2)
    run.join(make_user("first@example.com", "First"))
    run.join(runner)
    going = int(events(client.get(my_feed(runner)))[uid(run)]["SEQUENCE"])
    run.capacity = 1
    run.save(update_fields=["capacity"])
    run.apply_capacity()  # the latest to join, me, moves back
    event = events(client.get(my_feed(runner)))[uid(run)]
    assert event["STATUS"] == "TENTATIVE"
    assert int(event["SEQUENCE"]) == going + 1


def test_leaving_a_run_takes_it_out_and_advances_last_modified(client, runner, organiser):
    stays, left = make_run(organiser), make_run(organiser, title="Left")
    stays.join(runner)
    left.join(runner)
    first = client.get(my_feed(runner))
    assert uid(left) in events(first)

    left.leave(runner)

    answer = client.get(my_feed(runner), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert answer.status_code == 200
    assert set(events(answer)) == {uid(stays)}
    assert last_modified(answer) > last_modified(first)
    # And it stays put while nothing changes.
    again = client.get(my_feed(runner), HTTP_IF_MODIFIED_SINCE=answer["Last-Modified"])
    assert again.status_code == 304


@pytest.mark.parametrize("conditional", [False, True])
def test_my_feed_queries_stay_flat_from_5_to_50_runs(
    client, runner, organiser, django_assert_num_queries, conditional
):
    address = my_feed(runner)
    for count in (5, 50):
        while runner.participations.count() < count:
            make_run(organiser, days=1 + runner.participations.count() % 40).join(runner)
        seen = client.get(address)  # as the app's last poll: the change is stored
        headers = {"HTTP_IF_NONE_MATCH": seen["ETag"]} if conditional else {}
        # The feed with its owner, the fingerprint's rows, and (unless 304) the runs.
        with django_assert_num_queries(2 if conditional else 3):
            response = client.get(address, **headers)
        assert response.status_code == (304 if conditional else 200)
        if not conditional:
            assert len(events(response)) == count


def test_two_polls_at_once_agree_on_when_the_feed_changed(organiser):
    """Both read the club before either stored the new fingerprint; the second keeps the
    first one's moment instead of moving it again."""
    club = make_club(organiser)
    first_reader, second_reader = Club.objects.get(pk=club.pk), Club.objects.get(pk=club.pk)

    stored = _last_change(first_reader, "new", "feed_fingerprint", "feed_changed_at")
    later = stored + timedelta(minutes=5)
    kept = _last_change(second_reader, "new", "feed_fingerprint", "feed_changed_at", now=later)

    assert kept == stored
    assert Club.objects.get(pk=club.pk).feed_changed_at == stored
