import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from runs.management.commands.load_demo_data import DEMO_PASSWORD


def test_demo_data_loads_once(db):
    call_command("load_demo_data")
    call_command("load_demo_data")
    assert User.objects.count() == 2
    assert User.objects.get(email="runner@demo.join.run").check_password(DEMO_PASSWORD)


def test_demo_data_refuses_production(db, settings):
    settings.HTTPS = True
    with pytest.raises(CommandError):
        call_command("load_demo_data")
    assert not User.objects.exists()
