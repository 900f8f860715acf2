"""A signed-in runner's data requests need no emailed link, but each one still mails the
runner and staff: a repeated form is limited as an anonymous sender is, and a request of
another kind still goes through."""

from django.core import mail

from privacy.models import DataRequest
from tests.conftest import make_user

NEW = "/privacy/requests/new/"


def ask(client, kind, **extra):
    return client.post(NEW, {"kind": kind, **extra})


def test_thirty_identical_requests_make_two_tickets_not_thirty(client, db):
    make_user("staff@example.com", "Staff", is_staff=True, is_superuser=True)
    client.force_login(make_user("me@example.com", "Me"))

    answers = [ask(client, "access").status_code for _ in range(30)]

    assert answers[:2] == [302, 302]
    assert set(answers[2:]) == {429}
    assert DataRequest.objects.count() == 2
    assert len(mail.outbox) == 4  # an acknowledgement and a note to staff for each


def test_a_refused_request_says_when_to_try_again(client, db):
    client.force_login(make_user("me@example.com", "Me"))
    ask(client, "access")
    ask(client, "access")

    response = ask(client, "access")

    assert response.status_code == 429
    assert "Try again after" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_a_request_of_another_kind_still_goes_through(client, db):
    client.force_login(make_user("me@example.com", "Me"))
    for _ in range(10):
        ask(client, "access")

    response = ask(client, "erasure")

    assert response.status_code == 302
    assert sorted(DataRequest.objects.values_list("kind", flat=True)) == [
        "access", "access", "erasure"]


def test_cycling_through_the_kinds_stops_at_five_an_hour(client, db):
    client.force_login(make_user("me@example.com", "Me"))
    kinds = ["access", "rectification", "erasure", "restriction", "objection",
             "portability", "ccpa_know"]

    answers = [ask(client, kind).status_code for kind in kinds]

    assert answers == [302] * 5 + [429] * 2
    assert DataRequest.objects.count() == 5


def test_one_account_does_not_use_up_another(client, db):
    client.force_login(make_user("me@example.com", "Me"))
    for _ in range(3):
        ask(client, "access")
    client.force_login(make_user("you@example.com", "You"))

    assert ask(client, "access").status_code == 302


def test_an_account_without_an_address_cannot_flood_one(client, db):
    client.force_login(make_user(None, "Strava runner"))
    kinds = ["access", "rectification", "erasure"]
    for kind in kinds:
        assert ask(client, kind, contact_email="target@example.com").status_code == 302
    client.logout()
    for _ in range(2):
        client.post(NEW, {"kind": "access", "contact_email": "target@example.com"})

    response = client.post(NEW, {"kind": "access", "contact_email": "target@example.com"})

    assert response.status_code == 429
