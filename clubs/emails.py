"""Every email the clubs app sends, one template pair each (templates/emails/club_*),
queued in the caller's transaction. "New runs from <club>" is clubs/digests.py's."""

from django.urls import reverse

from joinrun import mail


def _context(club, **extra):
    return {"club": club, "club_url": mail.site_url(club.get_absolute_url()), **extra}


def send_invitation(invitation):
    club = invitation.club
    inviter = invitation.invited_by.display_name if invitation.invited_by else ""
    return mail.send("club_invitation", mail.reachable([invitation.user]), _context(
        club, inviter=inviter,
        invitation_url=mail.site_url(reverse("clubs:invitation", args=[club.slug]))))


def send_invitation_accepted(club, user, inviter):
    """Tells whoever sent the invitation that ``user`` now co-organises ``club``."""
    if inviter is None:
        return 0
    return mail.send("club_invitation_accepted", mail.reachable([inviter]),
                     _context(club, name=user.display_name))


def send_removed(club, user):
    return mail.send("club_removed", mail.reachable([user]), _context(club))


def send_closed(club, organisers, *, by=None):
    return mail.send("club_closed", mail.reachable(organisers),
                     _context(club, by=by.display_name if by else ""))


def send_deactivated(club, organisers):
    return mail.send("club_deactivated", mail.reachable(organisers), _context(club))
