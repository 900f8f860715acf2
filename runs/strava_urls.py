from django.urls import path

from . import strava_views

app_name = "strava"

urlpatterns = [
    path("connect/", strava_views.connect, name="connect"),
    path("callback/", strava_views.callback, name="callback"),
    path("disconnect/", strava_views.disconnect, name="disconnect"),
    path("webhook/", strava_views.webhook, name="webhook"),
    path("runs/<int:run_id>/activity/", strava_views.choose_activity, name="choose"),
    path("runs/<int:run_id>/activity/unlink/", strava_views.unlink, name="unlink"),
]
