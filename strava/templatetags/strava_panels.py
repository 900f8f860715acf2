"""What runs' and accounts' pages show of Strava, rendered here so that neither imports
Strava code (DESIGN.md: a later app reaches an earlier page through a tag it provides)."""

from django import template
from django.template.loader import render_to_string

from .. import services
from ..client import StravaError

register = template.Library()


@register.simple_tag(takes_context=True)
def strava_activity_panel(context, run, participation):
    """The run page's panel about the viewer's own Strava activity, or nothing. Strava's
    data goes only to its owner: ``participation`` is the viewer's own."""
    request = context["request"]
    panel = activity_panel(request.user, run, participation)
    if panel is None:
        return ""
    return render_to_string("strava/includes/activity_panel.html",
                            {"strava": panel, "run": run}, request=request)


def activity_panel(user, run, participation):
    """What the panel shows (a dict for the template), or None when there is nothing."""
    if not services.enabled() or participation is None or not run.has_started():
        return None
    link = getattr(participation, "activity_link", None)
    panel = {"link": link, "activity": None, "problem": None,
             "window_open": services.link_window_open(run), "connected": False}
    connection = services.connection_of(user)
    panel["connected"] = connection is not None
    if link is None or connection is None:
        return panel if panel["window_open"] or link else None
    try:
        panel["activity"] = services.activity(connection, link.activity_id)
    except StravaError as error:
        # Not found: deleted on Strava (its webhook event unlinks it) or made private. It is
        # no longer shown; the runner decides whether to unlink it.
        panel["problem"] = services.problem_message(error)
        panel["connected"] = connection.is_connected  # forgotten if Strava refused it
    return panel
