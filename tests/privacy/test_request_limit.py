"""The request form emails any address it is given, so it is limited for anonymous senders."""

from django.core import mail

from privacy.models import DataRequest


def ask(client, email, kind="access"):
    return client.post("/privacy/requests/new/", {"kind": kind, "contact_email": email})


def test_a_sixth_anonymous_request_within_the_hour_is_refused(client, db):
    for i in range(5):
        assert ask(client, f"a{i}@example.com").status_code == 302
    sent = len(mail.outbox)

    response = ask(client, "z@example.com")

    assert response.status_code == 429
    assert "Try again after" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert DataRequest.objects.count() == 5
    assert len(mail.outbox) == sent


def test_one_address_cannot_be_flooded_from_several_networks(client, db):
    for i in range(5):
        forwarded = {"REMOTE_ADDR": f"198.51.{i}.7"}
        assert client.post("/privacy/requests/new/",
                           {"kind": "access", "contact_email": "target@example.com"},
                           **forwarded).status_code == 302
    response = client.post("/privacy/requests/new/",
                           {"kind": "access", "contact_email": "target@example.com"},
                           REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
