"""What a review of the audit's fixes found: the webhook's own body, every admin list's
filters, and names from Strava under the site's rule for names."""

from accounts.models import User
from tests.conftest import PASSWORD
from tests.strava.test_connect import connect_through_strava


def test_a_form_posted_to_the_strava_webhook_is_a_4xx_not_a_500(client, db):
    response = client.post("/strava/webhook/", {"object_type": "activity"})
    assert 400 <= response.status_code < 500


def test_a_nul_in_the_outbox_and_user_lists_filters_is_a_400(client, db):
    client.force_login(User.objects.create_superuser("staff@example.com", PASSWORD))
    for path in ("/admin/outbox/email/?status=%00", "/admin/accounts/user/?q=a%00b"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "That filter cannot be used" in response.content.decode()


def test_a_strava_first_name_with_hidden_characters_becomes_runner(client, fake_strava, db):
    athlete_id = fake_strava.add_athlete("\u202eajaM", "Novak")
    assert connect_through_strava(client, "/runs/").status_code == 302
    assert User.objects.get(strava__athlete_id=athlete_id).display_name == "Runner"
