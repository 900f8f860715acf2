"""Changing a club and telling the people it concerns, in one transaction: each function
makes the change, queues the emails and returns what happened or raises ClubError, whose
str() the view shows."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import normalize_email
from joinrun.page_cache import pages_changed

from . import emails
from .models import DUPLICATE_NAME, RESEND_AFTER, Club, ClubSlug, Follow, Invitation, Organiser

# Addresses under /clubs/ that are not clubs.
RESERVED_SLUGS = {"new", "unsubscribe", "invitations"}

# Called with (club, reason) when a club closes: runs registers the cancelling of the
# club's future runs here (clubs may not import runs).
_on_close = []


class ClubError(Exception):
    """An action that cannot be done; str() says why, in words for the person."""


def when_closed(callback):
    if callback not in _on_close:
        _on_close.append(callback)


def slug_for(name):
    # "Run_Club" reads as "Run Club": both get the address run-club.
    return slugify(name.replace("_", " "))[:90].strip("-")


def name_problem(name, club=None):
    """Why ``name`` cannot be a club's name (taken, or nothing to make an address
    from), or None."""
    slug = slug_for(name)
    if not slug:
        return _("Use some letters or digits in the name: the club's address is made from "
                 "them.")
    others = Club.objects.exclude(pk=club.pk) if club else Club.objects.all()
    if slug in RESERVED_SLUGS or others.filter(name__iexact=name).exists() or (
        ClubSlug.objects.filter(slug=slug).exclude(club=club).exists()
    ):
        return str(DUPLICATE_NAME)
    return None


def _claim_slug(club):
    club.slug = slug_for(club.name)
    claimed, _created = ClubSlug.objects.get_or_create(slug=club.slug,
                                                       defaults={"club": club})
    if claimed.club_id != club.pk:  # another club's old address, taken a moment ago
        raise IntegrityError(club.slug)


def create(user, *, name, place, description):
    """A new club with ``user`` as its first organiser."""
    try:
        with transaction.atomic():
            club = Club(name=name, place=place, description=description)
            club.slug = slug_for(name)
            club.save()
            _claim_slug(club)
            Organiser.objects.create(club=club, user=user)
    except IntegrityError:  # the same name, a moment earlier
        raise ClubError(str(DUPLICATE_NAME)) from None
    return club


def update(club, *, name, place, description):
    """Saves the club; a new name gives it a new address, and the old one redirects."""
    try:
        with transaction.atomic():
            club.name, club.place, club.description = name, place, description
            if slug_for(name) != club.slug:
                _claim_slug(club)
            club.save()
    except IntegrityError:
        club.refresh_from_db()
        raise ClubError(str(DUPLICATE_NAME)) from None
    return club


def invite(club, *, by, email, now=None):
    """Invites the account with ``email`` to co-organise ``club`` and emails them."""
    now = now or timezone.now()
    if not by.email_confirmed:
        raise ClubError(_("Confirm your own email first (open the link we sent you), then "
                          "invite organisers."))
    email = normalize_email(email)
    invited = get_user_model().objects.filter(email=email, is_active=True).first()
    if invited is None or not invited.email_confirmed:
        raise ClubError(_("No join run account has this email confirmed. Ask them to sign "
                          "up (and confirm their email) first, then invite them again."))
    if club.organisers.filter(user=invited).exists():
        raise ClubError(_("They already organise this club."))
    with transaction.atomic():
        invitation = club.invitations.filter(user=invited).first()
        if invitation and invitation.created_at > now - RESEND_AFTER:
            # One email a day at most: an invitation is not a way to flood a mailbox.
            raise ClubError(_("They were invited less than a day ago: give them time to "
                              "answer."))
        if invitation is None:
            invitation = Invitation(club=club, user=invited)
        # A new invitation: the clock starts again, and its sender is the new one.
        invitation.email, invitation.invited_by, invitation.created_at = email, by, now
        invitation.save()
        emails.send_invitation(invitation)
    return invitation


def pending_invitation(club, user, now=None):
    """``user``'s invitation to ``club`` that can still be accepted, or None."""
    if not user.is_authenticated:
        return None
    invitation = club.invitations.filter(user=user).select_related("invited_by").first()
    if invitation is None or invitation.is_stale(now) or not club.is_listed:
        return None
    return invitation


def accept(club, user, now=None):
    with transaction.atomic():
        invitation = pending_invitation(club, user, now)
        # Only while whoever sent it still organises the club: a removed organiser's
        # invitations die with their role.
        if invitation is not None and not club.organisers.filter(
                user_id=invitation.invited_by_id).exists():
            invitation = None
        if invitation is None:
            raise ClubError(_("This invitation is no longer valid: it was used, withdrawn "
                              "or is more than two weeks old. Ask an organiser for a new "
                              "one."))
        invitation.delete()
        Organiser.objects.get_or_create(club=club, user=user)
        emails.send_invitation_accepted(club, user, invitation.invited_by)


def decline(club, user):
    return club.invitations.filter(user=user).delete()[0] > 0


def withdraw(club, invitation_id):
    return club.invitations.filter(pk=invitation_id).delete()[0] > 0


def remove_organiser(club, *, by, user_id):
    """``by`` removes another organiser of ``club``, who is told."""
    with transaction.atomic():
        # Under the club's lock: two organisers removing each other at once cannot leave
        # the club with none.
        Club.objects.select_for_update().get(pk=club.pk)
        if not club.organisers.filter(user=by).exists():
            raise ClubError(_("You no longer organise this club."))
        # user__pk, not user_id: a number too big for the column is "no such organiser",
        # not an overflow in SQLite's driver.
        role = club.organisers.select_related("user").filter(user__pk=user_id).first()
        if role is None:
            raise ClubError(_("They no longer organise this club."))
        if role.user_id == by.pk:
            raise ClubError(_("To stop organising the club yourself, step down."))
        role.delete()
        club.invitations.filter(invited_by=role.user).delete()
        emails.send_removed(club, role.user)
    return role.user


def step_down(club, user):
    with transaction.atomic():
        # Under the club's lock: two organisers stepping down at once cannot both go.
        Club.objects.select_for_update().get(pk=club.pk)
        roles = club.organisers.all()
        if not roles.filter(user=user).exists():
            raise ClubError(_("You don't organise this club."))
        if roles.count() == 1:
            raise ClubError(_("You are this club's last organiser. Invite someone to take "
                              "over first, or close the club."))
        roles.filter(user=user).delete()
        club.invitations.filter(invited_by=user).delete()


def close(club, *, by=None, now=None):
    """Closes ``club``: its future runs are cancelled (their runners are emailed), its
    other organisers told; its page and past runs stay. Returns what the runs' cancelling
    returned (runs.services.Told), or None when it was closed already."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Club.objects.select_for_update().get(pk=club.pk)
        if locked.closed_at is not None:
            return None
        club.closed_at = now
        club.save(update_fields=["closed_at", "updated_at"])
        Invitation.objects.filter(club=club).delete()
        # A closed club publishes nothing more and cannot reopen: its follows have no
        # purpose left (and its page has no Unfollow button), so they go.
        Follow.objects.filter(club=club).delete()
        told = None
        for callback in _on_close:
            # No reason typed in anyone's language: the emails and the run pages say
            # that the club closed, each in its reader's.
            told = callback(club, reason="")
        others = [role.user for role in club.organisers.select_related("user")
                  if by is None or role.user_id != by.pk]
        emails.send_closed(club, others, by=by)
    return told


def deactivate(club, now=None):
    """Staff take ``club`` off the site; its organisers are told. True when this call
    did it."""
    with transaction.atomic():
        changed = Club.objects.filter(pk=club.pk, deactivated_at__isnull=True).update(
            deactivated_at=now or timezone.now(), updated_at=timezone.now())
        if changed:
            pages_changed()  # update() sends no signal
            emails.send_deactivated(club, [role.user for role in
                                           club.organisers.select_related("user")])
    return bool(changed)


def reactivate(club):
    changed = Club.objects.filter(pk=club.pk, deactivated_at__isnull=False).update(
        deactivated_at=None, updated_at=timezone.now())
    if changed:
        pages_changed()
    return bool(changed)


def follow(club, user):
    """``user`` follows ``club``: its new runs come in one email a day at most."""
    if not user.email_confirmed:
        raise ClubError(_("Confirm your email first (open the link we sent you): the "
                          "club's new runs come to you by email."))
    with transaction.atomic():
        # Under the club's lock: a club closing now (which drops its follows) is either
        # closed before this looks, or waits for this follow and drops it too.
        locked = Club.objects.select_for_update().get(pk=club.pk)
        if not locked.is_listed:
            raise ClubError(_("This club has closed, so it can no longer be followed."))
        Follow.objects.get_or_create(club=club, user=user)


def unfollow(club, user):
    """True when ``user`` followed ``club`` until now."""
    return Follow.objects.filter(club=club, user=user).delete()[0] > 0
