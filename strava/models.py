"""A runner's Strava connection and the activities they linked to runs: ids and tokens
only (Strava's data is fetched when its owner looks, strava/services.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from joinrun.encryption import EncryptedTextField


class StravaConnection(models.Model):
    """A runner's Strava account, connected at their request (OAuth). Only what calling
    Strava on their behalf needs; nothing from their Strava profile."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="strava")
    # Who they are at Strava: to sign them in, and to act on Strava's webhook events.
    athlete_id = models.BigIntegerField(_("Strava athlete id"), unique=True)
    # The scopes the runner granted (they can untick some on Strava's consent page).
    scope = models.CharField(_("Granted scope"), max_length=200)
    # Encrypted at rest (joinrun/encryption.py). None once Strava has refused them (or no
    # key in TOKEN_KEYS opens them): an account that signs in only with Strava keeps its
    # athlete id, so signing in with Strava again finds it instead of making a new one.
    access_token = EncryptedTextField(null=True)
    refresh_token = EncryptedTextField(null=True)
    expires_at = models.DateTimeField(null=True)
    # Shown to the runner and in their export: since when join run may call Strava.
    connected_at = models.DateTimeField(_("Connected at"), default=timezone.now)

    class Meta:
        db_table = "runs_stravaconnection"  # made when Strava lived in runs; kept as it is
        verbose_name = _("Strava connection")

    def __str__(self):
        return f"Strava athlete {self.athlete_id}"

    @property
    def is_connected(self):
        """Whether join run may call Strava for this runner now."""
        return self.refresh_token is not None


class ActivityLink(models.Model):
    """A runner's own Strava activity for a run they ran: only its id. Its name, distance
    and times are fetched from Strava when shown to that runner, and to nobody else."""

    participation = models.OneToOneField("runs.Participation", on_delete=models.CASCADE,
                                         related_name="activity_link")
    # Unique: one activity was run once. Also the index for Strava's "activity deleted".
    activity_id = models.BigIntegerField(_("Strava activity id"), unique=True)

    class Meta:
        db_table = "runs_activitylink"  # made when Strava lived in runs; kept as it is

    def __str__(self):
        return f"Strava activity {self.activity_id}"

    @property
    def strava_url(self):
        return strava_activity_url(self.activity_id)


def strava_activity_url(activity_id):
    # Strava's branding rule: links to its data say "View on Strava" and go here.
    return f"https://www.strava.com/activities/{activity_id}"
