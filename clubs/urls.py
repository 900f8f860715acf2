from django.urls import path

from . import unsubscribe, views

app_name = "clubs"

urlpatterns = [
    path("", views.club_list, name="list"),
    path("new/", views.club_new, name="new"),
    path("unsubscribe/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("<slug:slug>/", views.club_detail, name="detail"),
    path("<slug:slug>/edit/", views.club_edit, name="edit"),
    path("<slug:slug>/follow/", views.follow, name="follow"),
    path("<slug:slug>/unfollow/", views.unfollow, name="unfollow"),
    path("<slug:slug>/invite/", views.invite, name="invite"),
    path("<slug:slug>/invitation/", views.invitation, name="invitation"),
    path("<slug:slug>/invitations/<int:invitation_id>/withdraw/", views.withdraw,
         name="withdraw"),
    path("<slug:slug>/organisers/<int:user_id>/remove/", views.remove_organiser,
         name="remove_organiser"),
    path("<slug:slug>/step-down/", views.step_down, name="step_down"),
    path("<slug:slug>/close/", views.close, name="close"),
]
