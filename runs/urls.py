from django.urls import path

from . import (
    attendance_views,
    feed_views,
    message_views,
    organiser_views,
    route_views,
    series_views,
    views,
)

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
    path("runs/<int:run_id>/cancel/", organiser_views.cancel, name="cancel"),
    path("runs/<int:run_id>/reopen/", organiser_views.reopen, name="reopen"),
    path("runs/<int:run_id>/runners/", organiser_views.runners, name="runners"),
    path("runs/<int:run_id>/runners/<int:participation_id>/remove/",
         organiser_views.remove_runner, name="remove_runner"),
    path("runs/<int:run_id>/check-in/", attendance_views.check_in, name="check_in"),
    path("runs/<int:run_id>/check-in/<int:participation_id>/", attendance_views.mark,
         name="mark_attended"),
    path("runs/<int:run_id>/i-was-there/", attendance_views.i_was_there, name="i_was_there"),
    path("runs/<int:run_id>/runners.csv", attendance_views.runners_csv, name="runners_csv"),
    path("runs/series/<uuid:series_id>/", series_views.series_detail, name="series"),
    path("runs/series/<uuid:series_id>/join/", series_views.join_all, name="series_join"),
    path("runs/series/<uuid:series_id>/leave/", series_views.leave_all, name="series_leave"),
    path("runs/series/<uuid:series_id>/add-weeks/", series_views.add_weeks,
         name="series_add_weeks"),
    path("runs/<int:run_id>/calendar.ics", views.run_calendar, name="calendar"),
    path("runs/<int:run_id>/route.gpx", route_views.download, name="route_gpx"),
    path("runs/<int:run_id>/route/use-distance/", route_views.use_distance,
         name="use_route_distance"),
    path("runs/<int:run_id>/message/", message_views.message_runners, name="message"),
    # Feeds: a club's public one (under the club's address) and each person's private one.
    path("clubs/<slug:slug>/calendar.ics", feed_views.club_calendar, name="club_calendar"),
    path("calendar/mine.ics", feed_views.my_calendar, name="my_calendar"),
    path("calendar/mine/new-link/", feed_views.new_link, name="new_calendar_link"),
]
