from django.urls import path

from . import policy

urlpatterns = [
    path("gpc.json", policy.gpc_json, name="gpc"),
]
