"""Organisers invite co-organisers, who accept on the site; they remove each other and
step down."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from clubs import services
from clubs.models import Invitation, Organiser
from tests.clubs.conftest import make_club, text
from tests.conftest import make_user

EDIT = "/clubs/tivoli-trotters/edit/"
INVITE = "/clubs/tivoli-trotters/invite/"
INVITATION = "/clubs/tivoli-trotters/invitation/"


def organisers(club):
    return [role.user.display_name for role in club.organisers.select_related("user")]


@pytest.fixture
def invited(db):
    return make_user("eva@example.com", "Eva")


@pytest.fixture
def invited_client(client, invited):
    client.force_login(invited)
    return client


@pytest.fixture
def invitation(club, organiser, invited):
    invitation = services.invite(club, by=organiser, email="eva@example.com")
    mail.outbox.clear()
    return invitation


# Inviting


def test_an_organiser_invites_a_confirmed_account_which_gets_an_email(
    organiser_client, club, invited
):
    response = organiser_client.post(INVITE, {"email": "  EVA@example.com "})

    assert response.status_code == 302
    assert response["Location"] == EDIT
    invitation = Invitation.objects.get()
    assert (invitation.club, invitation.user) == (club, invited)
    (email,) = mail.outbox
    assert email.to == ["eva@example.com"]
    assert "Tivoli Trotters" in email.subject
    assert "Bojan invited you" in email.body
    assert "organiser@example.com" not in email.body  # a name, never the address
    assert f"{settings.SITE_URL}/clubs/tivoli-trotters/invitation/" in email.body
    page = text(organiser_client.get(EDIT))
    assert "We emailed an invitation to eva@example.com." in page
    assert "Eva" not in page  # the account's name only once it accepts
    # Not an organiser until they accept.
    assert organisers(club) == ["Bojan"]


@pytest.mark.parametrize("confirmed", [False, True], ids=["unconfirmed", "no-account"])
def test_an_invitation_to_an_address_without_a_confirmed_account_says_so(
    organiser_client, club, confirmed
):
    if not confirmed:
        make_user("eva@example.com", "Eva", email_confirmed_at=None)

    response = organiser_client.post(INVITE, {"email": "eva@example.com"})

    assert response.status_code == 400
    assert "No join run account has this email confirmed" in text(response)
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_the_same_words_answer_for_no_account_and_an_unconfirmed_one(organiser_client, club):
    make_user("unconfirmed@example.com", "Eva", email_confirmed_at=None)

    unconfirmed = organiser_client.post(INVITE, {"email": "unconfirmed@example.com"})
    nobody = organiser_client.post(INVITE, {"email": "nobody@example.com"})

    def alert(response):
        page = text(response)
        return page[page.index('id="id_email_error"'):].split("</div>")[0]

    assert alert(unconfirmed) == alert(nobody)


def test_a_deactivated_account_cannot_be_invited(organiser_client, club):
    make_user("gone@example.com", "Gone", is_active=False)
    response = organiser_client.post(INVITE, {"email": "gone@example.com"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_an_invalid_address_gets_a_message(organiser_client, club):
    response = organiser_client.post(INVITE, {"email": "not an address"})
    assert response.status_code == 400
    assert "valid email" in text(response)


def test_inviting_someone_who_already_organises_says_so(organiser_client, club):
    response = organiser_client.post(INVITE, {"email": "organiser@example.com"})
    assert response.status_code == 400
    assert "They already organise this club" in text(response)
    assert not Invitation.objects.exists()


def test_only_organisers_may_invite(runner_client, club, invited):
    response = runner_client.post(INVITE, {"email": "eva@example.com"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_inviting_needs_a_post(organiser_client, club):
    assert organiser_client.get(INVITE).status_code == 405


def test_invitations_are_limited_to_20_an_hour_per_organiser(organiser_client, club):
    for number in range(20):
        response = organiser_client.post(INVITE, {"email": f"nobody{number}@example.com"})
        assert response.status_code == 400

    response = organiser_client.post(INVITE, {"email": "nobody-more@example.com"})

    assert response.status_code == 429
    assert "Too many invitations" in text(response)
    assert int(response["Retry-After"]) > 0


def test_the_limit_also_stops_invitations_to_real_accounts(organiser_client, club, invited):
    for number in range(20):
        organiser_client.post(INVITE, {"email": f"nobody{number}@example.com"})

    response = organiser_client.post(INVITE, {"email": "eva@example.com"})

    assert response.status_code == 429
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_the_limit_is_per_organiser(organiser_client, club, co_organiser, client):
    for number in range(20):
        organiser_client.post(INVITE, {"email": f"nobody{number}@example.com"})
    Organiser.objects.create(club=club, user=co_organiser)
    from django.test import Client

    other = Client()
    other.force_login(co_organiser)
    assert other.post(INVITE, {"email": "nobody@example.com"}).status_code == 400


# Accepting


def test_the_invited_person_sees_the_invitation_on_the_club_page(invited_client, invitation):
    page = text(invited_client.get("/clubs/tivoli-trotters/"))
    assert "Bojan invited you to organise this club" in page
    assert f'href="{INVITATION}"' in page


def test_opening_the_invitation_changes_nothing(invited_client, invitation, club):
    response = invited_client.get(INVITATION)

    assert response.status_code == 200
    page = text(response)
    assert "Bojan invited you to organise this club" in page
    assert "Accept" in page and "Decline" in page
    assert organisers(club) == ["Bojan"]
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    assert mail.outbox == []


def test_accepting_makes_a_co_organiser_and_tells_the_inviter(
    invited_client, invitation, club
):
    response = invited_client.post(INVITATION, {"answer": "accept"})

    assert response.status_code == 302
    assert response["Location"] == "/clubs/tivoli-trotters/"
    assert organisers(club) == ["Bojan", "Eva"]
    assert not Invitation.objects.exists()
    (email,) = mail.outbox
    assert email.to == ["organiser@example.com"]
    assert "Eva" in email.subject and "Tivoli Trotters" in email.subject
    assert "You now organise Tivoli Trotters" in text(invited_client.get(response["Location"]))
    assert invited_client.get(EDIT).status_code == 200
    assert "Bojan, Eva" in text(invited_client.get("/clubs/tivoli-trotters/"))


def test_an_invitation_cannot_be_used_twice(invited_client, invitation, club):
    invited_client.post(INVITATION, {"answer": "accept"})
    mail.outbox.clear()

    response = invited_client.post(INVITATION, {"answer": "accept"})

    assert response.status_code == 400
    assert "no longer valid" in text(response)
    assert organisers(club) == ["Bojan", "Eva"]
    assert mail.outbox == []


def test_an_invitation_older_than_14_days_is_refused(invited_client, invitation, club):
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=14, minutes=1))

    opened = invited_client.get(INVITATION)
    accepted = invited_client.post(INVITATION, {"answer": "accept"})

    for response in (opened, accepted):
        assert response.status_code == 400
        assert "more than two weeks old" in text(response)
    assert organisers(club) == ["Bojan"]
    assert mail.outbox == []
    assert "invited you" not in text(invited_client.get("/clubs/tivoli-trotters/"))


def test_an_invitation_of_13_days_still_works(invited_client, invitation, club):
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=13))
    assert invited_client.post(INVITATION, {"answer": "accept"}).status_code == 302
    assert organisers(club) == ["Bojan", "Eva"]


def test_inviting_again_starts_the_two_weeks_again(client, organiser, invitation, club,
                                                   invited):
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=20))
    client.force_login(organiser)
    assert client.post(INVITE, {"email": "eva@example.com"}).status_code == 302
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1

    client.force_login(invited)
    assert client.post(INVITATION, {"answer": "accept"}).status_code == 302
    assert organisers(club) == ["Bojan", "Eva"]


def test_only_the_invited_person_can_accept(runner_client, invitation, club):
    response = runner_client.post(INVITATION, {"answer": "accept"})
    assert response.status_code == 400
    assert organisers(club) == ["Bojan"]
    assert Invitation.objects.exists()


def test_accepting_needs_an_account(client, invitation, club):
    response = client.post(INVITATION, {"answer": "accept"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert organisers(club) == ["Bojan"]


def test_declining_removes_the_invitation(invited_client, invitation, club):
    response = invited_client.post(INVITATION, {"answer": "decline"})

    assert response.status_code == 302
    assert not Invitation.objects.exists()
    assert organisers(club) == ["Bojan"]
    assert invited_client.post(INVITATION, {"answer": "accept"}).status_code == 400


def test_a_withdrawn_invitation_can_no_longer_be_accepted(
    organiser_client, invitation, club, invited
):
    response = organiser_client.post(
        f"/clubs/tivoli-trotters/invitations/{invitation.pk}/withdraw/")

    assert response.status_code == 302
    assert "The invitation is withdrawn" in text(organiser_client.get(EDIT))
    assert not Invitation.objects.exists()
    organiser_client.force_login(invited)
    response = organiser_client.post(INVITATION, {"answer": "accept"})
    assert response.status_code == 400
    assert organisers(club) == ["Bojan"]


def test_only_an_organiser_may_withdraw(runner_client, invitation):
    response = runner_client.post(f"/clubs/tivoli-trotters/invitations/{invitation.pk}/withdraw/")
    assert response.status_code == 403
    assert Invitation.objects.exists()


def test_another_clubs_invitation_cannot_be_withdrawn_from_here(
    organiser_client, organiser, invited
):
    make_club(organiser)
    other = make_club(make_user("x@example.com", "Xena"), name="Koper Coast")
    theirs = services.invite(other, by=other.organisers.get().user, email="eva@example.com")

    organiser_client.post(f"/clubs/tivoli-trotters/invitations/{theirs.pk}/withdraw/")

    assert Invitation.objects.filter(pk=theirs.pk).exists()


# Removing and stepping down


@pytest.fixture
def two_organisers(club, co_organiser):
    Organiser.objects.create(club=club, user=co_organiser)
    return club


def test_an_organiser_removes_a_co_organiser_who_is_told(
    organiser_client, two_organisers, co_organiser
):
    response = organiser_client.post(
        f"/clubs/tivoli-trotters/organisers/{co_organiser.pk}/remove/")

    assert response.status_code == 302
    assert organisers(two_organisers) == ["Bojan"]
    (email,) = mail.outbox
    assert email.to == ["co@example.com"]
    assert "You no longer organise Tivoli Trotters" in email.subject
    assert "Dora no longer organises the club" in text(organiser_client.get(EDIT))


def test_a_removed_organiser_can_no_longer_edit(client, two_organisers, organiser,
                                                co_organiser):
    client.force_login(organiser)
    client.post(f"/clubs/tivoli-trotters/organisers/{co_organiser.pk}/remove/")
    client.force_login(co_organiser)
    assert client.get(EDIT).status_code == 403


def test_an_outsider_cannot_remove_organisers(runner_client, two_organisers, co_organiser):
    response = runner_client.post(f"/clubs/tivoli-trotters/organisers/{co_organiser.pk}/remove/")
    assert response.status_code == 403
    assert organisers(two_organisers) == ["Bojan", "Dora"]
    assert mail.outbox == []


def test_an_organiser_cannot_remove_themselves_but_may_step_down(
    organiser_client, two_organisers, organiser
):
    response = organiser_client.post(f"/clubs/tivoli-trotters/organisers/{organiser.pk}/remove/")
    assert response.status_code == 409
    assert "step down" in text(response)
    assert organisers(two_organisers) == ["Bojan", "Dora"]


def test_removing_someone_who_is_not_an_organiser_says_so(organiser_client, club, runner):
    response = organiser_client.post(f"/clubs/tivoli-trotters/organisers/{runner.pk}/remove/")
    assert response.status_code == 409
    assert "They no longer organise this club" in text(response)


def test_an_organiser_steps_down_and_the_others_carry_on(
    organiser_client, two_organisers
):
    response = organiser_client.post("/clubs/tivoli-trotters/step-down/")

    assert response.status_code == 302
    assert response["Location"] == "/clubs/tivoli-trotters/"
    assert organisers(two_organisers) == ["Dora"]
    assert "You no longer organise Tivoli Trotters" in text(
        organiser_client.get(response["Location"]))
    assert organiser_client.get(EDIT).status_code == 403


def test_the_last_organiser_cannot_step_down(organiser_client, club):
    response = organiser_client.post("/clubs/tivoli-trotters/step-down/")

    assert response.status_code == 409
    assert "You are this club's last organiser" in text(response)
    assert organisers(club) == ["Bojan"]


def test_only_an_organiser_can_step_down(runner_client, club):
    assert runner_client.post("/clubs/tivoli-trotters/step-down/").status_code == 403
    assert organisers(club) == ["Bojan"]


def test_stepping_down_and_removing_need_a_post(organiser_client, two_organisers,
                                                co_organiser):
    assert organiser_client.get("/clubs/tivoli-trotters/step-down/").status_code == 405
    assert organiser_client.get(
        f"/clubs/tivoli-trotters/organisers/{co_organiser.pk}/remove/").status_code == 405
    assert organisers(two_organisers) == ["Bojan", "Dora"]


def test_the_link_in_the_invitation_still_works_after_a_rename(invited_client, invitation,
                                                               club):
    services.update(club, name="Tivoli Runners", place="Ljubljana", description="")

    opened = invited_client.get(INVITATION, follow=True)

    assert opened.status_code == 200
    assert opened.redirect_chain[-1][0] == "/clubs/tivoli-runners/invitation/"
    assert "Bojan invited you to organise this club" in text(opened)
    invited_client.post("/clubs/tivoli-runners/invitation/", {"answer": "accept"})
    assert organisers(club) == ["Bojan", "Eva"]


def test_two_organisers_removing_each_other_leave_one(two_organisers, organiser,
                                                      co_organiser):
    # Both pages were open; Bojan's removal of Dora is saved first.
    services.remove_organiser(two_organisers, by=organiser, user_id=co_organiser.pk)
    with pytest.raises(services.ClubError):
        services.remove_organiser(two_organisers, by=co_organiser, user_id=organiser.pk)

    assert organisers(two_organisers) == ["Bojan"]
