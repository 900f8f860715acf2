"""Strava's webhook, /strava/webhook/: the subscription check (GET) and events (POST)."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from runs.models import Participation
from strava.models import ActivityLink, StravaConnection
from tests.conftest import connect_strava
from tests.runs.conftest import make_run

WEBHOOK = "/strava/webhook/"
ACTIVITY_ID = 12_000_000_001


@pytest.fixture
def strava():
    """Strava's servers: no CSRF token, no cookies."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def linked(runner, organiser, fake_strava):
    """The runner, connected to Strava, with an activity linked to a past run they ran:
    (athlete id, their participation)."""
    _connection, athlete_id = connect_strava(runner, fake_strava)
    run = make_run(organiser, days=-1)
    participation = Participation.objects.create(run=run, runner=runner, status="going")
    ActivityLink.objects.create(participation=participation, activity_id=ACTIVITY_ID)
    return athlete_id, participation


def post_event(strava, event):
    body = event if isinstance(event, (str, bytes)) else json.dumps(event)
    return strava.post(WEBHOOK, body, content_type="application/json")


def now():
    return int(time.time())


def deauthorization(athlete_id, event_time=None):
    return {"object_type": "athlete", "object_id": athlete_id, "aspect_type": "update",
            "updates": {"authorized": "false"}, "owner_id": athlete_id,
            "subscription_id": 1, "event_time": event_time or now()}


def activity_event(athlete_id, aspect_type, activity_id=ACTIVITY_ID, updates=None):
    return {"object_type": "activity", "object_id": activity_id, "aspect_type": aspect_type,
            "updates": updates or {}, "owner_id": athlete_id, "subscription_id": 1,
            "event_time": now()}


def still_linked(participation):
    return ActivityLink.objects.filter(participation=participation).exists()


# Subscription check

def test_subscription_check_with_the_verify_token_echoes_the_challenge(strava, fake_strava):
    response = strava.get(WEBHOOK, {"hub.mode": "subscribe", "hub.challenge": "15f7d1a91c1f40f8",
                                     "hub.verify_token": "test-verify-token"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"hub.challenge": "15f7d1a91c1f40f8"}
    assert not response.cookies


@pytest.mark.parametrize("query", [
    {"hub.mode": "subscribe", "hub.challenge": "abc", "hub.verify_token": "guessed"},
    {"hub.mode": "unsubscribe", "hub.challenge": "abc", "hub.verify_token": "test-verify-token"},
    {"hub.challenge": "abc", "hub.verify_token": "test-verify-token"},
    {"hub.mode": "subscribe", "hub.challenge": "abc"},
])
def test_subscription_check_without_the_right_token_or_mode_is_forbidden(
    strava, fake_strava, query
):
    response = strava.get(WEBHOOK, query)
    assert response.status_code == 403
    assert "abc" not in response.content.decode()


def test_subscription_check_is_forbidden_when_no_verify_token_is_configured(
    strava, fake_strava, settings
):
    settings.STRAVA_WEBHOOK_VERIFY_TOKEN = ""
    response = strava.get(WEBHOOK, {"hub.mode": "subscribe", "hub.challenge": "abc",
                                    "hub.verify_token": ""})
    assert response.status_code == 403


# Events

def test_deauthorization_confirmed_by_strava_forgets_the_athlete(
    strava, runner, linked, fake_strava
):
    athlete_id, participation = linked
    fake_strava.revoke(athlete_id)  # the runner removes join run in Strava's settings
    response = post_event(strava, deauthorization(athlete_id))
    assert response.status_code == 200
    assert not StravaConnection.objects.filter(user=runner).exists()
    assert not ActivityLink.objects.exists()
    assert not response.cookies
    assert fake_strava.deauthorized == set()  # Strava is not asked to deauthorize again


def test_forged_deauthorization_that_strava_does_not_confirm_changes_nothing(
    strava, runner, linked, fake_strava
):
    # Strava's posts are not signed and athlete ids are public: anyone can post this.
    athlete_id, participation = linked
    assert post_event(strava, deauthorization(athlete_id)).status_code == 200
    assert StravaConnection.objects.get(user=runner).is_connected
    assert still_linked(participation)


@pytest.mark.parametrize("fault", ["500", "429", "slow"])
def test_deauthorization_that_strava_cannot_confirm_now_changes_nothing(
    strava, runner, linked, fake_strava, settings, fault
):
    """Only Strava refusing the runner's own token (401) forgets a connection: a busy,
    failing or slow Strava means "not now" (Strava sends its events again)."""
    settings.STRAVA_TIMEOUT = 1
    athlete_id, participation = linked
    fake_strava.fail(fault, times=None)
    assert post_event(strava, deauthorization(athlete_id)).status_code == 200
    assert StravaConnection.objects.get(user=runner).is_connected
    assert still_linked(participation)


@pytest.mark.parametrize("fault", ["500", "429"])
def test_a_deleted_activity_that_strava_cannot_confirm_now_stays_linked(
    strava, linked, fake_strava, fault
):
    athlete_id, participation = linked
    fake_strava.fail(fault, times=None)
    assert post_event(strava, activity_event(athlete_id, "delete")).status_code == 200
    assert still_linked(participation)


def test_a_flood_of_forged_events_neither_forgets_the_runner_nor_stops_sign_ins(
    strava, runner, linked, fake_strava, client
):
    """200 forged revocations for one runner's public athlete id while Strava's read limit
    is used up (it answers 429): the runner stays connected, only a few events cost a call
    to Strava, and signing in with Strava (no read) still works."""
    from strava import client as strava_client
    from tests.strava.test_connect import connect_through_strava

    athlete_id, participation = linked
    limit = fake_strava.read_rate_limit
    fake_strava.read_usage = [limit[0], limit[0]]  # every read now gets Strava's 429
    sent = len(fake_strava.requests)
    for second in range(200):  # each a different event (Strava's resends share the time)
        forged = deauthorization(athlete_id, event_time=now() - 300 + second)
        assert post_event(strava, forged).status_code == 200
    assert StravaConnection.objects.get(user=runner).is_connected
    assert still_linked(participation)
    assert len(fake_strava.requests) - sent <= 5  # the athlete's few checks an hour
    assert strava_client.paused_until(read=True) is not None  # reads wait
    assert strava_client.paused_until(read=False) is None  # sign-ins do not

    someone = fake_strava.add_athlete("Bojan", "Kos")
    fake_strava.signed_in_athlete = someone
    response = connect_through_strava(client)
    assert response.status_code == 302
    assert StravaConnection.objects.filter(athlete_id=someone).exists()


def test_events_of_many_athletes_draw_on_their_own_share_of_the_rate_limit(
    strava, fake_strava, db
):
    """However many runners' ids a flood names, the events together make at most their
    share of calls in 15 minutes, and leave the rest of Strava's limit to the site."""
    from strava import events

    athletes = []
    for number in range(40):
        person = User.objects.create_user(f"r{number}@example.com", "long-enough-password-42",
                                          display_name=f"Runner {number}")
        athletes.append(connect_strava(person, fake_strava)[1])
    sent = len(fake_strava.requests)
    for athlete_id in athletes:
        post_event(strava, deauthorization(athlete_id))
    assert len(fake_strava.requests) - sent == events.EVENT_CHECKS_IN_ALL.limit
    assert StravaConnection.objects.count() == 40


def test_revoked_strava_only_account_keeps_its_athlete_to_sign_in_again(strava, fake_strava, db):
    from tests.strava.test_connect import connect_through_strava

    browser = Client()
    athlete_id = fake_strava.add_athlete("Maja")
    fake_strava.signed_in_athlete = athlete_id
    connect_through_strava(browser)
    account = StravaConnection.objects.get(athlete_id=athlete_id).user

    fake_strava.revoke(athlete_id)
    assert post_event(strava, deauthorization(athlete_id)).status_code == 200
    connection = StravaConnection.objects.get(athlete_id=athlete_id)
    assert not connection.is_connected
    assert connection.user == account

    # Signing in with Strava again finds the same account, connected once more.
    later = Client()
    connect_through_strava(later)
    assert StravaConnection.objects.get(athlete_id=athlete_id).is_connected
    assert User.objects.filter(display_name="Maja").count() == 1
    assert later.get("/accounts/profile/").context["user"] == account


def test_deauthorization_of_one_athlete_leaves_the_others(
    strava, linked, outsider, fake_strava
):
    _connection, other_athlete = connect_strava(outsider, fake_strava, firstname="Cene")
    _athlete_id, participation = linked
    fake_strava.revoke(other_athlete)
    assert post_event(strava, deauthorization(other_athlete)).status_code == 200
    assert not StravaConnection.objects.filter(user=outsider).exists()
    assert still_linked(participation)


def test_deleted_activity_is_unlinked_but_strava_stays_connected(
    strava, runner, linked, fake_strava
):
    athlete_id, participation = linked
    response = post_event(strava, activity_event(athlete_id, "delete"))
    assert response.status_code == 200
    assert not ActivityLink.objects.filter(participation=participation).exists()
    assert StravaConnection.objects.filter(user=runner).exists()
    # Strava was asked, and no longer has it.
    assert fake_strava.requests_to(f"/api/v3/activities/{ACTIVITY_ID}")


def test_forged_delete_event_for_an_activity_strava_still_has_keeps_the_link(
    strava, linked, fake_strava
):
    athlete_id, participation = linked
    still_there = fake_strava.add_activity(athlete_id, start=timezone.now())
    ActivityLink.objects.filter(participation=participation).update(activity_id=still_there)
    event = activity_event(athlete_id, "delete", activity_id=still_there)
    assert post_event(strava, event).status_code == 200
    assert still_linked(participation)


def test_delete_event_naming_another_athlete_keeps_the_link(
    strava, linked, outsider, fake_strava
):
    _connection, other_athlete = connect_strava(outsider, fake_strava, firstname="Cene")
    _athlete_id, participation = linked
    assert post_event(strava, activity_event(other_athlete, "delete")).status_code == 200
    assert still_linked(participation)


@pytest.mark.parametrize("event", [
    activity_event(0, "create"),
    activity_event(0, "update", updates={"title": "Lunch run"}),
    activity_event(0, "update", updates={"private": "true"}),
    {**deauthorization(0), "updates": {}},
    {**deauthorization(0), "updates": {"authorized": "true"}},
])
def test_other_events_are_acknowledged_and_change_nothing(
    strava, runner, linked, fake_strava, event
):
    athlete_id, participation = linked
    event = {**event, "owner_id": athlete_id}
    if event["object_type"] == "athlete":
        event["object_id"] = athlete_id
    response = post_event(strava, event)
    assert response.status_code == 200
    assert StravaConnection.objects.filter(user=runner).exists()
    assert still_linked(participation)
    assert fake_strava.requests == []


@pytest.mark.parametrize("body", [
    "this is not JSON",
    b"\xff\xfe not utf-8",
    "",
    "[]",
    '"athlete"',
    json.dumps({"object_type": "athlete", "aspect_type": "update"}),
    json.dumps({**deauthorization(1), "object_id": "9000000001", "owner_id": "9000000001"}),
    json.dumps({**deauthorization(1), "object_id": True, "owner_id": True}),
    json.dumps({**deauthorization(1), "object_id": 2**63, "owner_id": 2**63}),
    json.dumps({**deauthorization(1), "updates": ["authorized", "false"]}),
    json.dumps({**deauthorization(1), "object_type": 7}),
    json.dumps({**deauthorization(1), "event_time": "x" * 300}),
    json.dumps({**deauthorization(1), "event_time": {"a": 1}}),
])
def test_malformed_events_are_refused_and_change_nothing(
    strava, runner, linked, fake_strava, body
):
    _athlete_id, participation = linked
    response = post_event(strava, body)
    assert response.status_code == 400
    assert StravaConnection.objects.filter(user=runner).exists()
    assert still_linked(participation)


def test_string_and_boolean_ids_of_a_real_athlete_change_nothing(strava, runner, linked):
    athlete_id, participation = linked
    as_text = {**deauthorization(athlete_id), "object_id": str(athlete_id),
               "owner_id": str(athlete_id)}
    assert post_event(strava, as_text).status_code == 400
    as_boolean = {**activity_event(athlete_id, "delete"), "object_id": True}
    assert post_event(strava, as_boolean).status_code == 400
    assert StravaConnection.objects.filter(user=runner).exists()
    assert still_linked(participation)


@pytest.mark.parametrize("event", [
    deauthorization(9_999_999_999),
    activity_event(9_999_999_999, "delete"),
])
def test_events_about_unknown_athletes_are_acknowledged(strava, runner, linked, event):
    _athlete_id, participation = linked
    assert post_event(strava, event).status_code == 200
    assert StravaConnection.objects.filter(user=runner).exists()
    assert still_linked(participation)


@pytest.mark.parametrize("make_event", [
    deauthorization,
    lambda athlete_id: activity_event(athlete_id, "delete"),
])
def test_the_same_event_twice_is_acknowledged_twice(strava, linked, make_event, fake_strava):
    athlete_id, participation = linked
    fake_strava.revoke(athlete_id)
    event = make_event(athlete_id)
    first, second = post_event(strava, event), post_event(strava, event)
    assert (first.status_code, second.status_code) == (200, 200)
    assert not ActivityLink.objects.exists()


def test_webhook_answers_only_get_and_post(strava, fake_strava):
    assert strava.put(WEBHOOK, "{}", content_type="application/json").status_code == 405


def test_deeply_nested_json_is_refused_not_a_server_error(strava, fake_strava):
    assert post_event(strava, "[" * 100_000).status_code == 400


def test_strava_resending_an_event_costs_one_check(strava, linked, fake_strava):
    athlete_id, _participation = linked
    sent = len(fake_strava.requests_to("/api/v3/athlete"))
    for _attempt in range(3):  # Strava's three attempts share the event's time
        assert post_event(strava, deauthorization(athlete_id)).status_code == 200
    assert len(fake_strava.requests_to("/api/v3/athlete")) - sent == 1


@pytest.mark.parametrize("kind", ["500", "429", "slow"])
def test_a_check_strava_cannot_answer_now_is_tried_again_after_a_pause(
    strava, runner, linked, fake_strava, kind
):
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    from strava import client, events

    athlete_id, participation = linked
    fake_strava.revoke(athlete_id)
    fake_strava.fail(kind, times=None)
    before = timezone.now()

    assert post_event(strava, deauthorization(athlete_id)).status_code == 200

    assert StravaConnection.objects.get(user=runner).is_connected
    (again,) = DBTaskResult.objects.filter(task_path="strava.events.check_revocation",
                                           status="READY")
    assert again.run_after >= before + events.RETRY_PAUSES[0]
    assert again.args_kwargs["kwargs"] == {"attempt": 2}
    # Strava answers again (and its rate-limit window has passed): the queued check
    # forgets the connection Strava revoked.
    fake_strava.clear_faults()
    cache.delete_many([client.PAUSE_KEY, client.READ_PAUSE_KEY])
    events.check_revocation.call(*again.args_kwargs["args"], **again.args_kwargs["kwargs"])
    assert not StravaConnection.objects.filter(user=runner, refresh_token__isnull=False).exists()


def test_strava_s_own_revocation_after_a_flood_still_acts_once_the_window_resets(
    strava, runner, linked, fake_strava
):
    """Forged events for a runner use up their share of checks; the runner then really
    removes join run at Strava. Strava's event is not dropped: its check waits in the queue
    for the window, and then forgets the connection."""
    from django_tasks_db.models import DBTaskResult

    from strava import events

    athlete_id, _participation = linked
    for second in range(20):
        post_event(strava, deauthorization(athlete_id, event_time=now() - 300 + second))
    checks = len(fake_strava.requests_to("/api/v3/athlete"))
    assert checks == events.EVENT_CHECKS_PER_ATHLETE.limit
    assert StravaConnection.objects.get(user=runner).is_connected

    fake_strava.revoke(athlete_id)
    assert post_event(strava, deauthorization(athlete_id, event_time=now())
                      ).status_code == 200

    # One waiting check, however many events came: the task table does not grow.
    (waiting,) = DBTaskResult.objects.filter(task_path="strava.events.check_revocation",
                                             status="READY")
    assert waiting.run_after > timezone.now() + timedelta(minutes=50)
    assert len(fake_strava.requests_to("/api/v3/athlete")) == checks
    events.EVENT_CHECKS_PER_ATHLETE.clear(str(athlete_id))  # the hour has passed
    events.check_revocation.call(*waiting.args_kwargs["args"], **waiting.args_kwargs["kwargs"])
    assert not StravaConnection.objects.filter(user=runner, refresh_token__isnull=False).exists()


def test_the_events_daily_share_keeps_reads_for_the_site(strava, runner, linked, fake_strava):
    from django_tasks_db.models import DBTaskResult

    from strava import events

    athlete_id, _participation = linked
    for _check in range(events.EVENT_CHECKS_PER_DAY.limit):
        events.EVENT_CHECKS_PER_DAY.record("all")
    sent = len(fake_strava.requests)

    assert post_event(strava, deauthorization(athlete_id)).status_code == 200

    assert len(fake_strava.requests) == sent  # waits for tomorrow's share
    assert StravaConnection.objects.get(user=runner).is_connected
    (waiting,) = DBTaskResult.objects.filter(task_path="strava.events.check_revocation",
                                             status="READY")
    assert waiting.run_after > timezone.now() + timedelta(hours=23)


def test_a_revocation_of_a_runner_who_restricted_processing_is_still_confirmed(
    strava, runner, linked, fake_strava
):
    athlete_id, _participation = linked
    runner.processing_restricted_at = timezone.now()
    runner.save(update_fields=["processing_restricted_at"])
    fake_strava.revoke(athlete_id)

    post_event(strava, deauthorization(athlete_id))

    assert not StravaConnection.objects.filter(user=runner, refresh_token__isnull=False).exists()


@pytest.mark.parametrize("offset", [-2 * 24 * 60 * 60, 60 * 60])
def test_an_event_from_another_time_is_acknowledged_and_changes_nothing(
    strava, runner, linked, fake_strava, offset
):
    athlete_id, _participation = linked
    fake_strava.revoke(athlete_id)
    event = deauthorization(athlete_id, event_time=now() + offset)
    assert post_event(strava, event).status_code == 200
    assert fake_strava.requests_to("/api/v3/athlete") == []
    assert StravaConnection.objects.get(user=runner).is_connected


def test_a_check_that_fails_is_tried_again_and_never_blocks_later_events(
    strava, runner, linked, fake_strava, monkeypatch
):
    from django.db import OperationalError
    from django_tasks_db.models import DBTaskResult

    from strava import events, services

    athlete_id, _participation = linked
    fake_strava.revoke(athlete_id)

    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    with monkeypatch.context() as patched:
        patched.setattr(services, "call", busy)
        assert post_event(strava, deauthorization(athlete_id)).status_code == 200

    (again,) = DBTaskResult.objects.filter(task_path="strava.events.check_revocation",
                                           status="READY")
    assert again.args_kwargs["kwargs"] == {"attempt": 2}
    events.check_revocation.call(*again.args_kwargs["args"], **again.args_kwargs["kwargs"])
    assert not StravaConnection.objects.filter(user=runner, refresh_token__isnull=False).exists()


def test_a_check_a_worker_lost_does_not_swallow_the_next_event(
    strava, runner, linked, fake_strava
):
    """A worker killed mid-check leaves its pending mark; once its time has passed, the
    next event queues a check of its own instead of joining the lost one."""
    from django.core.cache import cache

    from strava import events

    athlete_id, _participation = linked
    connection = StravaConnection.objects.get(user=runner)
    lost = timezone.now() - events.LOST_AFTER - timedelta(minutes=1)
    events._mark_pending(events.REVOKED, connection.pk, lost)
    fake_strava.revoke(athlete_id)

    assert post_event(strava, deauthorization(athlete_id)).status_code == 200

    assert not StravaConnection.objects.filter(user=runner, refresh_token__isnull=False).exists()
    assert cache.get(events._pending_key(events.REVOKED, connection.pk)) is None
