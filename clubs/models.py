"""Clubs: a name runners look for, the people who organise it, and who follows it.

A club is never deleted: it is closed (by its organisers, or when its last organiser
erases their account) or deactivated (by staff); its past runs stay with it.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# An invitation to co-organise is stale after this: the person may have forgotten why.
INVITATION_DAYS = 14
# The same person is sent an invitation to the same club once a day at most.
RESEND_AFTER = timedelta(days=1)
# "New runs from <club>": at most one email a day per club.
DIGEST_EVERY = timedelta(days=1)
DUPLICATE_NAME = _("A club with this name already exists. Pick another name.")


class ClubQuerySet(models.QuerySet):
    def listed(self):
        """Clubs anyone can find: open, and not deactivated by staff."""
        return self.filter(closed_at__isnull=True, deactivated_at__isnull=True)

    def organised_by(self, user):
        return self.filter(organisers__user=user)


class Club(models.Model):
    name = models.CharField(_("Name"), max_length=80)
    # The readable address, made from the name. A rename makes a new one and keeps the
    # old ones (ClubSlug), so every link ever shared keeps working.
    slug = models.SlugField(max_length=90, unique=True, editable=False)
    place = models.CharField(_("Place"), max_length=100)
    description = models.TextField(_("Description"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Closed by its organisers (or when its last organiser erased their account): its
    # future runs were cancelled; its page stays, with its past runs.
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True, editable=False)
    # Deactivated by staff: gone from lists and from its address; its organisers told.
    deactivated_at = models.DateTimeField(_("Deactivated at"), null=True, blank=True,
                                          editable=False)
    # "New runs from <club>" (clubs/digests.py): runs published up to this moment have
    # been in a digest, which went out at digest_sent_at.
    digest_covered_until = models.DateTimeField(null=True, blank=True, editable=False)
    digest_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The public calendar feed's Last-Modified: when its content was last seen to change
    # (a run leaving the feed changes no run's updated_at).
    feed_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    feed_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ClubQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        verbose_name = _("club")
        verbose_name_plural = _("clubs")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="club_name_ci_unique",
                                    violation_error_message=DUPLICATE_NAME),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clubs:detail", args=[self.slug])

    @property
    def is_listed(self):
        return self.closed_at is None and self.deactivated_at is None

    def is_organised_by(self, user):
        return user.is_authenticated and self.organisers.filter(user=user).exists()

    def is_followed_by(self, user):
        return user.is_authenticated and self.follows.filter(user=user).exists()


class ClubSlug(models.Model):
    """Every address a club has had, so an old link redirects to the current one."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="slugs")
    slug = models.SlugField(max_length=90, unique=True)

    def __str__(self):
        return self.slug


class Organiser(models.Model):
    """Someone who runs a club: edits it, publishes, changes and cancels its runs,
    invites and removes organisers. Every organiser has the same powers."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="organisers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="club_roles")
    # Shown on the club page in this order: the founder first.
    since = models.DateTimeField(_("Organiser since"), default=timezone.now)

    class Meta:
        ordering = ["since", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["club", "user"], name="one_role_per_club"),
        ]

    def __str__(self):
        return f"{self.user} organises {self.club}"


class Invitation(models.Model):
    """An organiser's invitation to another account to co-organise the club: it waits
    until that person accepts or declines on the site, or goes stale."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="club_invitations")
    # The address the organiser typed: the organisers see it on the list of invitations
    # waiting (never the account's name, nor its address if it changes, until it accepts).
    email = models.EmailField(max_length=254, default="")
    # Named in the invitation's email and on the page the invited person opens.
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["club", "user"], name="one_invitation_per_club"),
        ]

    def __str__(self):
        return f"{self.user} invited to {self.club}"

    def is_stale(self, now=None):
        return self.created_at < (now or timezone.now()) - timedelta(days=INVITATION_DAYS)


class Follow(models.Model):
    """A runner following a club: its new runs come to them in one email a day at most."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["club", "user"], name="one_follow_per_club"),
        ]
        indexes = [
            # "Next runs of the clubs I follow" on the home page and My runs.
            models.Index(fields=["user", "club"], name="follow_user"),
        ]

    def __str__(self):
        return f"{self.user} follows {self.club}"
