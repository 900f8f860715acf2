"""runs/card_marks.py says in one plain query what RunQuerySet.marked_for says with three
subqueries: the viewer's place, whether they came, whether they organise the run."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from clubs.models import Organiser
from runs import card_marks
from runs.models import Participation, Run
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user
from tests.runs.conftest import make_run


@pytest.fixture
def runs_of_every_kind(runner, organiser):
    """{kind: run}, each a different relation of ``runner`` to the run."""
    own_club = make_club(runner, name="Ana's Club")
    other_club = make_club(organiser, name="Tivoli Trotters")
    kinds = {
        "going": make_run(organiser, title="going"),
        "waiting": make_run(organiser, title="waiting", capacity=1),
        "came": make_run(organiser, title="came", days=-2),
        "own run": make_run(runner, title="own run"),
        "own club's run": make_club_run(own_club, organiser, title="own club's run"),
        "run organised for another club": make_club_run(other_club, runner,
                                                        title="for another club"),
        "someone else's": make_run(organiser, title="someone else's"),
        "organiser gone": make_run(make_user("gone@example.com", "Gone"), title="gone"),
    }
    Participation.objects.create(run=kinds["going"], runner=runner, status="going")
    Participation.objects.create(run=kinds["waiting"], runner=make_user("x@example.com", "X"),
                                 status="going")
    Participation.objects.create(run=kinds["waiting"], runner=runner, status="waitlisted")
    Participation.objects.create(run=kinds["came"], runner=runner, status="going",
                                 attended_at=timezone.now())
    Participation.objects.create(run=kinds["someone else's"], runner=organiser, status="going")
    Run.objects.filter(title="gone").update(organiser=None)
    return kinds


def marks(runs):
    return {run.title: (run.my_status, bool(run.my_attended), bool(run.managing))
            for run in runs}


def test_the_marks_match_the_querysets(runner, runs_of_every_kind):
    ids = [run.pk for run in runs_of_every_kind.values()]
    runs = list(Run.objects.filter(pk__in=ids))
    card_marks.mark(runner, runs)
    expected = marks(Run.objects.filter(pk__in=ids).marked_for(runner))
    assert marks(runs) == expected
    assert expected == {
        "going": ("going", False, False),
        "waiting": ("waitlisted", False, False),
        "came": ("going", True, False),
        "own run": (None, False, True),
        "own club's run": (None, False, True),
        "for another club": (None, False, False),
        "someone else's": (None, False, False),
        "gone": (None, False, False),
    }


def test_an_organiser_of_two_clubs_manages_both_clubs_runs(runner, organiser):
    first, second = make_club(organiser, name="First"), make_club(runner, name="Second")
    Organiser.objects.create(club=second, user=organiser)
    runs = [make_club_run(first, runner, title="first"),
            make_club_run(second, runner, title="second")]
    card_marks.mark(organiser, runs)
    assert marks(runs) == {"first": (None, False, True), "second": (None, False, True)}


def test_a_visitor_has_no_marks(runs_of_every_kind, django_assert_num_queries):
    runs = list(Run.objects.all())
    with django_assert_num_queries(0):
        card_marks.mark(AnonymousUser(), runs)
    assert {mark for mark in marks(runs).values()} == {(None, False, False)}


def test_no_runs_ask_nothing(runner, django_assert_num_queries):
    with django_assert_num_queries(0):
        card_marks.mark(runner, [])
