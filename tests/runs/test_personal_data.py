"""What the runs app hands over and erases when a person asks: export and account deletion."""

import json

import pytest
from django.core import mail

from joinrun import personal_data
from runs.models import Participation, Run
from tests.conftest import PASSWORD
from tests.runs.conftest import make_run, make_runners


def mail_to(address):
    return [message for message in mail.outbox if message.to == [address]]


# Export


@pytest.fixture
def runners_runs(runner, organiser, outsider):
    """The runner organises a run with the outsider on it, goes to one run and waits
    for another."""
    make_run(runner, title="Ana's hill run", days=5).join(outsider)
    make_run(organiser, title="River loop", days=2).join(runner)
    full = make_run(organiser, title="Full run", capacity=1, days=3)
    full.join(outsider)
    full.join(runner)


def test_export_holds_the_runs_i_organise_and_join(runner, runners_runs):
    data = personal_data.export_for(runner)

    (organised,) = data["organised_runs"]
    assert organised["title"] == "Ana's hill run"
    assert organised["starts_at"] == Run.objects.get(title="Ana's hill run").starts_at.isoformat()
    joined = {p["run"]: p for p in data["participations"]}
    assert set(joined) == {"River loop", "Full run"}
    assert joined["River loop"]["status"] == "going"
    assert joined["Full run"]["status"] == "waitlisted"
    participation = Participation.objects.get(runner=runner, run__title="River loop")
    assert joined["River loop"]["starts_at"] == participation.run.starts_at.isoformat()
    assert joined["River loop"]["joined_at"] == participation.joined_at.isoformat()


def test_export_download_holds_my_runs(runner_client, runners_runs):
    data = json.loads(runner_client.get("/accounts/export/").content)
    assert [run["title"] for run in data["organised_runs"]] == ["Ana's hill run"]
    assert sorted(p["run"] for p in data["participations"]) == ["Full run", "River loop"]


@pytest.mark.parametrize("person", ["runner", "organiser", "outsider"])
def test_export_never_holds_another_runners_email(client, runners_runs, person, request):
    user = request.getfixturevalue(person)
    client.force_login(user)

    body = client.get("/accounts/export/").content.decode()

    others = {"runner@example.com", "organiser@example.com", "outsider@example.com"}
    assert user.email in body
    assert [email for email in others - {user.email} if email in body] == []


# Erasure


@pytest.fixture
def next_in_line(run, runner):
    """``run`` (capacity 2) with the runner going, one more going and one waiting."""
    going, waiting = make_runners(2)
    for person in (runner, going, waiting):
        run.join(person)
    return waiting


def test_erasing_a_runner_gives_their_place_to_the_next_in_line(
    runner, run, next_in_line, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        personal_data.erase_for(runner)

    assert not Participation.objects.filter(runner_id=runner.pk).exists()
    assert run.participations.get(runner=next_in_line).is_going
    (email,) = mail.outbox
    assert email.to == [next_in_line.email]
    assert email.subject == f"You're going: {run.title}"


def test_deleting_my_account_gives_my_place_to_the_next_in_line(
    runner_client, runner, run, next_in_line, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = runner_client.post("/accounts/delete/", {"confirmation": PASSWORD})

    assert response.status_code == 200
    assert run.participations.get(runner=next_in_line).is_going
    assert [m.subject for m in mail_to(next_in_line.email)] == [f"You're going: {run.title}"]


def test_erasing_a_runner_removes_all_their_places(
    runner, organiser, django_capture_on_commit_callbacks
):
    past = make_run(organiser, days=-3)
    Participation.objects.create(run=past, runner=runner, status="going")
    full = make_run(organiser, capacity=1)
    full.join(make_runners(1)[0])
    full.join(runner)

    with django_capture_on_commit_callbacks(execute=True):
        personal_data.erase_for(runner)

    assert not Participation.objects.filter(runner_id=runner.pk).exists()
    assert full.participations.count() == 1
    assert mail.outbox == []  # leaving a waitlist or a past run frees nobody's place


@pytest.fixture
def organisers_runs(organiser, runner, outsider):
    upcoming = make_run(organiser, title="Thursday tempo", capacity=1, days=4)
    upcoming.join(runner)
    upcoming.join(outsider)
    ran = make_run(organiser, title="Last week's long run", days=-7)
    Participation.objects.create(run=ran, runner=runner, status="going")
    return upcoming, ran


def test_erasing_an_organiser_cancels_their_future_runs_and_tells_the_runners(
    organiser, runner, outsider, organisers_runs, django_capture_on_commit_callbacks
):
    upcoming, _ = organisers_runs

    with django_capture_on_commit_callbacks(execute=True):
        personal_data.erase_for(organiser)

    assert not Run.objects.filter(pk=upcoming.pk).exists()
    for person in (runner, outsider):
        (email,) = mail_to(person.email)
        assert email.subject == "Cancelled: Thursday tempo"
        assert "The organiser closed their account." in email.body
        assert "The run is no longer listed on join run." in email.body
        assert f"/runs/{upcoming.pk}/" not in email.body


def test_erasing_an_organiser_keeps_their_past_runs_without_them(
    client, organiser, organisers_runs, django_capture_on_commit_callbacks
):
    _, ran = organisers_runs

    with django_capture_on_commit_callbacks(execute=True):
        personal_data.erase_for(organiser)

    ran.refresh_from_db()
    assert ran.organiser is None
    assert ran.participations.count() == 1
    page = client.get(f"/runs/{ran.pk}/").content.decode()
    assert "Former member" in page
    assert "Bojan" not in page


def test_deleting_an_organisers_account_tells_their_runners(
    client, organiser, runner, organisers_runs, django_capture_on_commit_callbacks
):
    client.force_login(organiser)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/delete/", {"confirmation": PASSWORD})

    assert response.status_code == 200
    assert not Run.objects.filter(title="Thursday tempo").exists()
    assert Run.objects.get(title="Last week's long run").organiser is None
    (email,) = mail_to(runner.email)
    assert "The organiser closed their account." in email.body
