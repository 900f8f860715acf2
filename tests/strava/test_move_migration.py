"""Strava's move out of runs on a database that has rows: the connection, its tokens and
the linked activity stay as they were, their content types follow, and marks a linked
activity made go (Strava's display rule)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("runs", "0010_route_drawing_named"), ("strava", None)]


def migrate(targets):
    """Migrates to ``targets``; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    named = {app for app, _name in targets}
    nodes = [target for target in targets if target[1] is not None] + [
        leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in named]
    return executor.loader.project_state(nodes).apps


@pytest.fixture
def back_to_latest(transactional_db):
    """Whatever happens, the test database ends on the latest schema for the next test."""
    yield
    migrate(migrate_to_latest())


def test_moving_strava_keeps_every_row_and_moves_the_content_types(back_to_latest):
    old = migrate(BEFORE)
    ContentType = old.get_model("contenttypes", "ContentType")
    for model in ("stravaconnection", "activitylink"):
        ContentType.objects.get_or_create(app_label="runs", model=model)
    User = old.get_model("accounts", "User")
    ana = User.objects.create(email="ana@example.com", display_name="Ana", password="!",
                               language="en")
    bea = User.objects.create(email="bea@example.com", display_name="Bea", password="!",
                               language="en")
    run = old.get_model("runs", "Run").objects.create(
        organiser=ana, title="River loop", meeting_point="Bridge", starts_at=timezone.now(),
        distance_km=8, pace_min=330, pace_max=360)
    Participation = old.get_model("runs", "Participation")
    by_strava = Participation.objects.create(
        run=run, runner=ana, status="going", attended_at=timezone.now(), attended_by="strava")
    by_organiser = Participation.objects.create(
        run=run, runner=bea, status="going", attended_at=timezone.now(),
        attended_by="organiser")
    old.get_model("runs", "StravaConnection").objects.create(
        user=ana, athlete_id=9_000_000_001, scope="read,activity:read",
        access_token="access", refresh_token="refresh", expires_at=timezone.now())
    old.get_model("runs", "ActivityLink").objects.create(
        participation=by_strava, activity_id=12_000_000_001)

    new = migrate(migrate_to_latest())

    connection_ = new.get_model("strava", "StravaConnection").objects.get()
    assert (connection_.user_id, connection_.athlete_id) == (ana.pk, 9_000_000_001)
    assert (connection_.access_token, connection_.refresh_token) == ("access", "refresh")
    link = new.get_model("strava", "ActivityLink").objects.get()
    assert (link.participation_id, link.activity_id) == (by_strava.pk, 12_000_000_001)
    moved = new.get_model("contenttypes", "ContentType").objects
    assert set(moved.filter(model__in=("stravaconnection", "activitylink"))
               .values_list("app_label", flat=True)) == {"strava"}
    Participation = new.get_model("runs", "Participation")
    assert Participation.objects.get(pk=by_strava.pk).attended_at is None
    assert Participation.objects.get(pk=by_organiser.pk).attended_by == "organiser"


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
