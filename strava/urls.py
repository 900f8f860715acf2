from django.urls import path

from . import views

app_name = "strava"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("callback/", views.callback, name="callback"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("webhook/", views.webhook, name="webhook"),
    path("runs/<int:run_id>/activity/", views.choose_activity, name="choose"),
    path("runs/<int:run_id>/activity/unlink/", views.unlink, name="unlink"),
]
