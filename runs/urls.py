from django.urls import path

from . import feed_views, message_views, views

app_name = "runs"

urlpatterns = [
    path("", views.home, name="home"),
    path("runs/", views.run_list, name="list"),
    path("runs/new/", views.run_new, name="new"),
    path("runs/mine/", views.my_runs, name="mine"),
    path("runs/<int:run_id>/", views.run_detail, name="detail"),
    path("runs/<int:run_id>/edit/", views.run_edit, name="edit"),
    path("runs/<int:run_id>/join/", views.join, name="join"),
    path("runs/<int:run_id>/leave/", views.leave, name="leave"),
    path("runs/<int:run_id>/cancel/", views.cancel, name="cancel"),
    path("runs/<int:run_id>/calendar.ics", views.run_calendar, name="calendar"),
    path("runs/<int:run_id>/message/", message_views.message_runners, name="message"),
    # Feeds: a club's public one (under the club's address) and each person's private one.
    path("clubs/<slug:slug>/calendar.ics", feed_views.club_calendar, name="club_calendar"),
    path("calendar/mine.ics", feed_views.my_calendar, name="my_calendar"),
    path("calendar/mine/new-link/", feed_views.new_link, name="new_calendar_link"),
]
