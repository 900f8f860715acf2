from django.urls import path

from . import views

app_name = "runs"

urlpatterns = [
    path("", views.home, name="home"),
    path("runs/", views.run_list, name="list"),
]
