"""Joining, leaving and the waitlist, on the model."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from runs.models import Participation, RunClosed
from tests.runs.conftest import make_run, make_runners


def statuses(run):
    return [(p.runner.display_name, p.status) for p in run.participations.in_order()]


def test_joining_a_run_with_room_means_going(run, runner):
    assert run.join(runner).is_going


def test_full_run_puts_next_runner_on_waitlist(run):
    a, b, c, d = make_runners(4)
    for person in (a, b, c, d):
        run.join(person)
    assert statuses(run) == [("Runner 0", "going"), ("Runner 1", "going"),
                             ("Runner 2", "waitlisted"), ("Runner 3", "waitlisted")]
    assert run.participations.get(runner=d).waitlist_position() == 2


def test_run_without_capacity_never_fills(organiser):
    run = make_run(organiser, capacity=None)
    for person in make_runners(30):
        assert run.join(person).is_going


def test_joining_twice_changes_nothing(run, runner):
    first = run.join(runner)
    assert run.join(runner) == first
    assert run.participations.count() == 1


def test_leaving_promotes_the_first_on_the_waitlist(run):
    a, b, c, d = make_runners(4)
    for person in (a, b, c, d):
        run.join(person)
    promoted = run.leave(a)
    assert [p.runner for p in promoted] == [c]
    assert statuses(run) == [("Runner 1", "going"), ("Runner 2", "going"),
                             ("Runner 3", "waitlisted")]
    assert run.participations.get(runner=d).waitlist_position() == 1


def test_leaving_the_waitlist_promotes_nobody(run):
    a, b, c = make_runners(3)
    for person in (a, b, c):
        run.join(person)
    assert run.leave(c) == []
    assert statuses(run) == [("Runner 0", "going"), ("Runner 1", "going")]


def test_leaving_a_run_you_never_joined_is_harmless(run, runner):
    assert run.leave(runner) == []


def test_no_joining_a_cancelled_run(run, runner):
    run.cancel()
    with pytest.raises(RunClosed, match="cancelled"):
        run.join(runner)
    assert not run.participations.exists()


def test_no_joining_or_leaving_a_run_that_has_started(organiser, runner):
    run = make_run(organiser, days=-1)
    with pytest.raises(RunClosed, match="started"):
        run.join(runner)
    Participation.objects.create(run=run, runner=runner, status="going")
    with pytest.raises(RunClosed, match="started"):
        run.leave(runner)
    assert run.participations.filter(runner=runner).exists()


def test_lower_capacity_moves_latest_joiners_back_in_order(organiser):
    run = make_run(organiser, capacity=4)
    people = make_runners(5)
    for person in people:
        run.join(person)
    run.capacity = 2
    run.save()
    promoted, moved_back = run.apply_capacity()
    assert promoted == []
    assert [p.runner for p in moved_back] == people[2:4]
    # They joined before the runner already waiting, so they are first in line again.
    assert statuses(run) == [("Runner 0", "going"), ("Runner 1", "going"),
                             ("Runner 2", "waitlisted"), ("Runner 3", "waitlisted"),
                             ("Runner 4", "waitlisted")]


def test_higher_capacity_promotes_from_the_waitlist(run):
    people = make_runners(5)
    for person in people:
        run.join(person)
    run.capacity = None
    run.save()
    promoted, moved_back = run.apply_capacity()
    assert [p.runner for p in promoted] == people[2:]
    assert moved_back == []
    assert run.participations.filter(status="going").count() == 5


def test_waitlist_order_is_the_order_joins_were_served(run):
    now = timezone.now()
    people = make_runners(5)
    for i, person in enumerate(people):
        run.join(person, now=now + timedelta(seconds=i))
    positions = [run.participations.get(runner=p).waitlist_position() for p in people]
    assert positions == [None, None, 1, 2, 3]


def test_pace_and_distance_read_as_runners_write_them(organiser):
    run = make_run(organiser, pace_min=330, pace_max=360, distance_km=Decimal("10.0"))
    assert run.pace_range == "5:30–6:00"
    assert run.distance_text == "10"
    assert make_run(organiser, pace_min=None, pace_max=None).pace_range == ""
    assert make_run(organiser, pace_min=300, pace_max=300).pace_range == "5:00"


def test_estimated_end_uses_the_slowest_pace(organiser):
    run = make_run(organiser, distance_km=Decimal("10"), pace_min=300, pace_max=360)
    assert run.estimated_end() - run.starts_at == timedelta(minutes=60)
    easy = make_run(organiser, distance_km=Decimal("5"), pace_min=None, pace_max=None)
    assert easy.estimated_end() - easy.starts_at == timedelta(minutes=35)  # 6:30/km, rounded


def test_a_server_with_a_slow_clock_still_queues_behind_earlier_joins(run):
    first, second, late = make_runners(3)
    now = timezone.now()
    run.join(first, now=now)
    run.join(second, now=now)
    run.join(late, now=now - timedelta(minutes=5))  # served last, by a clock 5 min behind
    assert statuses(run) == [("Runner 0", "going"), ("Runner 1", "going"),
                             ("Runner 2", "waitlisted")]
    assert run.participations.get(runner=late).waitlist_position() == 1
    joined = [p.joined_at for p in run.participations.all()]
    assert joined == sorted(joined) and len(set(joined)) == 3


def test_the_database_refuses_half_a_pace_range_or_half_a_position(organiser):
    from django.db import IntegrityError, transaction

    for half in ({"pace_min": 300, "pace_max": None}, {"latitude": 46, "longitude": None}):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_run(organiser, **half)
