from django.urls import path

from . import policy, views

app_name = "privacy"

urlpatterns = [
    path("", policy.policy, name="policy"),
    path("requests/new/", views.new_request, name="new_request"),
    path("requests/<str:reference>/", views.request_status, name="request_status"),
    path("requests/<str:reference>/verify/", views.verify_request, name="verify_request"),
    path("requests/<str:reference>/export/", views.download_export, name="download_export"),
]
