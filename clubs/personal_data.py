"""What the clubs app keeps about a person: its entries in the personal-data register."""

from django.utils.translation import gettext_lazy as _

from joinrun.mail import site_url
from joinrun.personal_data import PersonalField, Section, iso

from . import services
from .models import Follow, Invitation, Organiser


def export_clubs(user):
    roles = Organiser.objects.filter(user=user).select_related("club").order_by("since")
    invitations = Invitation.objects.filter(user=user).select_related("club", "invited_by")
    sent = Invitation.objects.filter(invited_by=user).select_related("club")
    follows = Follow.objects.filter(user=user).select_related("club").order_by("created_at")
    return {
        "organising": [
            {"club": role.club.name, "since": iso(role.since),
             "url": site_url(role.club.get_absolute_url())}
            for role in roles
        ],
        "invitations_to_organise": [
            {"club": invitation.club.name, "invited_at": iso(invitation.created_at),
             "address_it_was_sent_to": invitation.email,
             "invited_by": invitation.invited_by.display_name if invitation.invited_by
             else None}
            for invitation in invitations
        ],
        "invitations_you_sent": [
            # Not whom: the address is the invited person's, not yours.
            {"club": invitation.club.name, "invited_at": iso(invitation.created_at)}
            for invitation in sent
        ],
        "following": [
            {"club": follow.club.name, "since": iso(follow.created_at),
             "url": site_url(follow.club.get_absolute_url())}
            for follow in follows
        ],
    }


def erase_clubs(user):
    """Follows, invitations and roles go; a club whose last organiser this was closes
    (its future runs are cancelled and their runners told)."""
    Follow.objects.filter(user=user).delete()
    Invitation.objects.filter(user=user).delete()
    # An invitation is valid only while its sender organises the club: theirs go too.
    Invitation.objects.filter(invited_by=user).delete()
    for role in Organiser.objects.filter(user=user).select_related("club"):
        club = role.club
        if club.closed_at is None and not club.organisers.exclude(user=user).exists():
            # Closed "by" the person leaving: the club's closing email goes to its other
            # organisers, and there are none.
            services.close(club, by=user)
        role.delete()


UNTIL_STOPPED = _("Until you step down, are removed, or delete your account.")

SECTIONS = [
    Section(
        name="clubs",
        title=_("Clubs"),
        fields=(
            PersonalField(
                "clubs.Organiser", "user",
                _("That you organise a club: its page shows your display name as an "
                  "organiser, and you may change the club and its runs."),
                UNTIL_STOPPED,
            ),
            PersonalField("clubs.Organiser", "since",
                          _("Since when you organise it: organisers are listed in that "
                            "order."), UNTIL_STOPPED),
            PersonalField(
                "clubs.Invitation", "user",
                _("An organiser's invitation for you to co-organise a club, waiting for you "
                  "to accept or decline."),
                _("Until you accept or decline it, or it is withdrawn; unanswered, it is "
                  "deleted four weeks after it was sent."),
            ),
            PersonalField(
                "clubs.Invitation", "email",
                _("The address an organiser typed to invite you: shown to the club's "
                  "organisers while the invitation waits (your name only once you accept)."),
                _("Until the invitation is accepted, declined or withdrawn."),
            ),
            PersonalField(
                "clubs.Invitation", "invited_by",
                _("Who invited someone to co-organise a club: named in the invitation, "
                  "which is valid only while they organise the club."),
                _("Until the invitation is accepted, declined or withdrawn, or its sender "
                  "stops organising the club."),
            ),
            PersonalField("clubs.Invitation", "created_at",
                          _("When the invitation was sent: it is valid for two weeks."),
                          _("Until the invitation is accepted, declined or withdrawn.")),
            PersonalField(
                "clubs.Follow", "user",
                _("That you follow a club: to email you its new runs, at most once a day. "
                  "The club page shows only how many follow it, never who."),
                _("Until you unfollow the club (also from the email's unsubscribe link) or "
                  "delete your account."),
            ),
            PersonalField("clubs.Follow", "created_at", _("Since when you follow it."),
                          _("As long as you follow the club.")),
        ),
        export_for=export_clubs,
        erase_for=erase_clubs,
    ),
]
