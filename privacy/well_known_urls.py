from django.urls import path

from joinrun import well_known

from . import policy

urlpatterns = [
    path("gpc.json", policy.gpc_json, name="gpc"),
    path("security.txt", well_known.security_txt, name="security_txt"),
    path("change-password", well_known.change_password, name="change_password"),
]
