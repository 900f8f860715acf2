import pytest

from accounts.models import User
from tests.conftest import PASSWORD


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("staff@example.com", PASSWORD)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client
