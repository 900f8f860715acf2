"""What run cards say about the signed-in viewer, for a page of runs, in one query.

``RunQuerySet.marked_for`` says the same with three subqueries. Building that query took
the ORM longer than the rest of a signed-in runner's run list (whose rows and cards are
kept: joinrun/page_cache.py, runs/templatetags/run_cards.py), and longer than the
database took to answer it; these few lines of SQL cost a tenth of it. A test holds the
two to the same answers (tests/runs/test_card_marks.py).
"""

from django.db import connection

# The tables and columns as the migrations made them; at most one place per run and
# runner, one role per club and user (their unique constraints). Only the ids'
# placeholders are put in.
MARKS_SQL = """
    SELECT r.id, p.status, p.attended_at, o.id
    FROM runs_run r
    LEFT JOIN runs_participation p ON p.run_id = r.id AND p.runner_id = %s
    LEFT JOIN clubs_organiser o ON o.club_id = r.club_id AND o.user_id = %s
    WHERE r.id IN ({ids})
"""


def mark(user, runs):
    """Sets on each of ``runs`` ``my_status`` ("going", "waitlisted" or None),
    ``my_attended`` (they came) and ``managing`` (``RunQuerySet.managed_by``: their own
    run outside a club, or a run of a club they organise)."""
    marks = marks_for(user, runs)
    for run in runs:
        run.my_status, run.my_attended, run.managing, _ = marks[run.pk]


def marks_for(user, runs):
    """{run id: (my_status, my_attended, managing, my_activity_id)}, the marks ``mark``
    sets, in the order of run cards' VIEWER_MARKS, without touching the runs (for a body
    every reader shares, its runs are stand-ins: runs/templatetags/run_cards.py). Never an
    activity: only My runs shows one."""
    marks = _marks(user, [run.pk for run in runs]) if user.is_authenticated and runs else {}
    by_run = {}
    for run in runs:
        status, attended, organises_club = marks.get(run.pk, (None, False, False))
        managing = (organises_club if run.club_id is not None
                    else run.organiser_id is not None and run.organiser_id == user.pk)
        by_run[run.pk] = (status, attended, managing, None)
    return by_run


def _marks(user, ids):
    """{run id: (status, attended, organises the run's club)}."""
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(MARKS_SQL.format(ids=placeholders), [user.pk, user.pk, *ids])
        return {run_id: (status, attended_at is not None, role_id is not None)
                for run_id, status, attended_at, role_id in cursor.fetchall()}
