"""Audit finding 1 (issue 14): an export built for a data request must not outlive the
account it describes, whichever way the account is erased."""

from pathlib import Path

from django.conf import settings
from django.core import mail

from accounts.models import User
from joinrun import personal_data
from privacy import services
from privacy.models import DataRequest, Kind, Status
from tests.conftest import PASSWORD
from tests.privacy.test_admin_actions import download_link


def exported_ticket(runner, staff):
    ticket = DataRequest(kind=Kind.ACCESS, contact_email=runner.email)
    services.file_request(ticket, user=runner)
    services.build_export(ticket, actor=staff)
    return DataRequest.objects.get(pk=ticket.pk)


def test_self_service_deletion_deletes_the_export_and_its_link_stops_working(
    client, runner
):
    staff = User.objects.create_superuser("staff@example.com", PASSWORD)
    ticket = exported_ticket(runner, staff)
    path = Path(settings.DATA_EXPORT_DIR) / ticket.export_file
    link = download_link(mail.outbox[-1])
    assert path.exists()
    client.force_login(runner)

    response = client.post("/accounts/delete/", {"confirmation": PASSWORD})

    assert response.status_code == 200
    assert not User.objects.filter(pk=runner.pk).exists()
    assert not path.exists()
    assert client.get(link).status_code == 410
    ticket = DataRequest.objects.get(pk=ticket.pk)
    assert ticket.export_file == ""
    assert ticket.export_expires_at is None
    assert ticket.events.filter(action="export_deleted").exists()


def test_register_erasure_deletes_every_export_of_the_account(runner):
    staff = User.objects.create_superuser("staff@example.com", PASSWORD)
    first = exported_ticket(runner, staff)
    second = exported_ticket(runner, staff)
    paths = [Path(settings.DATA_EXPORT_DIR) / t.export_file for t in (first, second)]

    personal_data.erase_for(runner)

    assert not any(path.exists() for path in paths)
    assert not DataRequest.objects.exclude(export_file="").exists()
    assert DataRequest.objects.filter(status=Status.IN_PROGRESS).count() == 2
