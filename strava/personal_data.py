"""Strava's section of the personal-data register (joinrun/personal_data.py): the
connection and the activities a runner linked, exported without the tokens and erased
after telling Strava to end join run's access."""

from django.utils.translation import gettext_lazy as _

from joinrun.personal_data import PersonalField, Section, iso

from . import services
from .models import ActivityLink, StravaConnection

TOKENS_PURPOSE = _("Join run's keys to read your Strava activities when you ask, and when "
                   "they expire: encrypted, never shown and never exported.")
UNTIL_DISCONNECTED = _("Until you disconnect Strava (or remove join run in Strava's settings) "
                       "or delete your account.")


def export_strava(user):
    connection = StravaConnection.objects.filter(user=user).first()
    links = ActivityLink.objects.filter(participation__runner=user).select_related(
        "participation__run").order_by("participation__run__starts_at", "pk")
    return {
        # Never the tokens: they are join run's keys to Strava, not facts about you.
        "connection": connection and {
            "athlete_id": connection.athlete_id,
            # False after Strava refused our access: an account that signs in only with
            # Strava keeps its athlete id to sign in with it again.
            "connected": connection.is_connected,
            "scope": connection.scope,
            "connected_at": iso(connection.connected_at),
        },
        "linked_activities": [
            {
                "run": link.participation.run.title,
                "starts_at": iso(link.participation.run.starts_at),
                "activity_id": link.activity_id,
                "strava_url": link.strava_url,
            }
            for link in links
        ],
    }


def erase_strava(user):
    """Strava is told to end our access once the erasure has committed; the connection
    and links go now."""
    connection = StravaConnection.objects.filter(user=user).first()
    if connection is not None:
        if connection.is_connected:
            services.revoke_later(connection)
        services.forget(connection, erasing=True)
    else:
        ActivityLink.objects.filter(participation__runner=user).delete()


SECTION = Section(
    name="strava",
    title=_("Strava"),
    fields=(
        PersonalField(
            "strava.StravaConnection", "user",
            _("Whose Strava connection it is: only you can use it, and only you see what "
              "it reads."),
            UNTIL_DISCONNECTED,
        ),
        PersonalField(
            "strava.StravaConnection", "athlete_id",
            _("Who you are at Strava, once you connect it: to sign you in with Strava and "
              "to act on Strava's notice when you remove join run there."),
            UNTIL_DISCONNECTED,
        ),
        PersonalField(
            "strava.StravaConnection", "scope",
            _("What you allowed join run to read at Strava."), UNTIL_DISCONNECTED,
        ),
        PersonalField(
            "strava.StravaConnection", "connected_at",
            _("Since when join run may read your Strava activities."), UNTIL_DISCONNECTED,
        ),
        *(
            PersonalField("strava.StravaConnection", name, TOKENS_PURPOSE, UNTIL_DISCONNECTED,
                          exported=False)
            for name in ("access_token", "refresh_token", "expires_at")
        ),
        PersonalField(
            "strava.ActivityLink", "activity_id",
            _("The Strava activity you linked to a run you ran. Only the id: its name, "
              "distance and times are fetched from Strava when you look, and shown to "
              "you alone."),
            _("Until you unlink it, delete it on Strava, disconnect Strava or delete your "
              "account."),
        ),
    ),
    export_for=export_strava,
    erase_for=erase_strava,
)
