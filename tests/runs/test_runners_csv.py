"""The organiser's list of a run's runners as CSV: names, status, place on the waitlist and
who came; never an email address, never a name its runner asked us to withhold."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from clubs.models import Organiser
from runs import attendance
from runs.models import Participation
from tests.clubs import conftest as clubs_conftest
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners

co_organiser = clubs_conftest.co_organiser  # the clubs' cast, as a fixture here too


def csv_url(run):
    return f"/runs/{run.pk}/runners.csv"


def rows_of(response):
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")  # so spreadsheet programs read č, š and ž right
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


@pytest.fixture
def full_run(organiser, runner):
    """A run that started an hour ago: Ana (came) and Runner 0 going, Runner 1 and 2
    waiting."""
    run = make_run(organiser, starts_at=timezone.now() - timedelta(hours=1), capacity=2)
    Participation.objects.create(run=run, runner=runner, status="going")
    first, second, third = make_runners(3)
    for person, status in ((first, "going"), (second, "waitlisted"), (third, "waitlisted")):
        Participation.objects.create(run=run, runner=person, status=status)
    attendance.mark(run.participations.get(runner=runner), came=True, by="organiser")
    return run


def test_the_organiser_downloads_the_list(organiser_client, full_run):
    response = organiser_client.get(csv_url(full_run))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="join-run-{full_run.pk}-runners.csv"')
    assert "no-store" in response["Cache-Control"]
    assert rows_of(response) == [
        ["Display name", "Status", "Place on the waitlist", "Came"],
        ["Ana", "Going", "", "yes"],
        ["Runner 0", "Going", "", "no"],
        ["Runner 1", "On the waitlist", "1", "no"],
        ["Runner 2", "On the waitlist", "2", "no"],
    ]


def test_the_list_has_no_email_addresses(organiser_client, full_run):
    content = organiser_client.get(csv_url(full_run)).content.decode()
    assert "@" not in content
    for participation in full_run.participations.select_related("runner"):
        assert participation.runner.email not in content


def test_a_restricted_runners_name_is_withheld(organiser_client, full_run, runner):
    runner.processing_restricted_at = timezone.now()
    runner.save()

    rows = rows_of(organiser_client.get(csv_url(full_run)))

    assert ["Runner 1 (name withheld)", "Going", "", "yes"] in rows
    assert "Ana" not in str(rows)


def test_a_name_that_looks_like_a_formula_stays_text(organiser_client, organiser):
    run = make_run(organiser)
    run.join(make_user("trick@example.com", '=HYPERLINK("http://example.com","x")'))
    rows = rows_of(organiser_client.get(csv_url(run)))
    assert rows[1][0] == '\'=HYPERLINK("http://example.com","x")'


def test_the_list_of_an_upcoming_run_is_there_too(organiser_client, organiser, runner):
    run = make_run(organiser, days=2)
    run.join(runner)
    assert rows_of(organiser_client.get(csv_url(run)))[1] == ["Ana", "Going", "", "no"]


def test_a_club_co_organiser_downloads_it(client, organiser, co_organiser, runner):
    club = make_club(organiser, co_organisers=[co_organiser])
    run = make_club_run(club, organiser)
    run.join(runner)
    client.force_login(co_organiser)
    assert client.get(csv_url(run)).status_code == 200
    Organiser.objects.filter(club=club, user=co_organiser).delete()
    assert client.get(csv_url(run)).status_code == 403


@pytest.mark.parametrize("who", ["outsider", "runner"])
def test_nobody_else_gets_the_list(client, outsider, runner, full_run, who):
    client.force_login(outsider if who == "outsider" else runner)
    assert client.get(csv_url(full_run)).status_code == 403


def test_signed_out_visitors_are_sent_to_log_in(client, full_run):
    response = client.get(csv_url(full_run))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_missing_run_has_no_list(organiser_client):
    assert organiser_client.get("/runs/999999/runners.csv").status_code == 404


def test_the_list_is_read_with_get(organiser_client, full_run):
    assert organiser_client.post(csv_url(full_run)).status_code == 405


@pytest.mark.parametrize("count", [1, 40])
def test_the_list_makes_as_many_queries_for_40_runners_as_for_one(
    organiser_client, organiser, django_assert_num_queries, count
):
    run = make_run(organiser, capacity=10)
    for person in make_runners(count):
        run.join(person)
    # The session with its account, the run, its runners with their places.
    with django_assert_num_queries(3):
        rows = rows_of(organiser_client.get(csv_url(run)))
    assert len(rows) == count + 1
