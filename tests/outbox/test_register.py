"""Queued emails hold an address and a text: they are in the personal-data register, in a
person's export, and erasing an account removes them, except the goodbye."""

import json

import pytest

from joinrun import mail, personal_data
from joinrun.outbox import delivery
from joinrun.outbox.models import Email
from tests.conftest import PASSWORD

pytestmark = pytest.mark.queue_only


@pytest.fixture
def queued(runner, outsider):
    """Emails waiting for the worker: two to the runner's account, one to their address
    alone (as after an earlier account with it was deleted), one to someone else."""
    for kind in ("run_cancelled", "password_reset"):
        delivery.queue(kind=kind, to=runner.email, user=runner, language="en",
                       subject=f"{kind} subject", body=f"{kind} text")
    mail.send("goodbye", [runner.email], {"name": "Ana"}, language="en")
    mail.send("goodbye", [outsider], {"name": "Cene"})
    return Email.objects.all()


def test_the_register_names_the_outbox_fields():
    registered = {(f.model, f.field) for f in personal_data.fields()}
    assert {("outbox.Email", "to"), ("outbox.Email", "subject"),
            ("outbox.Email", "body")} <= registered


def test_my_export_lists_the_emails_waiting_for_me(runner_client, queued):
    data = json.loads(runner_client.get("/accounts/export/").content)

    kinds = sorted((e["kind"], e["to"], e["status"]) for e in data["emails"])
    assert kinds == [("goodbye", "runner@example.com", "queued"),
                     ("password_reset", "runner@example.com", "queued"),
                     ("run_cancelled", "runner@example.com", "queued")]
    assert "outsider@example.com" not in json.dumps(data)


def test_erasing_an_account_removes_its_queued_emails_but_the_goodbye(runner, outsider,
                                                                      queued):
    personal_data.erase_for(runner)

    left = sorted(Email.objects.values_list("kind", "to"))
    assert left == [("goodbye", "outsider@example.com"), ("goodbye", "runner@example.com")]


def test_deleting_my_account_leaves_only_the_goodbye_queued_for_me(runner_client, queued):
    response = runner_client.post("/accounts/delete/", {"confirmation": PASSWORD})

    assert response.status_code == 200
    mine = Email.objects.exclude(to="outsider@example.com")
    assert list(mine.values_list("kind", flat=True)) == ["goodbye", "goodbye"]
    assert set(mine.values_list("to", flat=True)) == {"runner@example.com"}
    assert not Email.objects.filter(user__isnull=False, to="runner@example.com").exists()
