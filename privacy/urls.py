from django.urls import path, register_converter

from . import policy, views

app_name = "privacy"


class ReferenceConverter:
    """JR-2026-0042 and nothing else: any other text (a NUL byte, which PostgreSQL
    refuses) is a 404 before it reaches a query."""

    regex = r"JR-[0-9]{4}-[0-9]{4,12}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("", policy.policy, name="policy"),
    path("requests/new/", views.new_request, name="new_request"),
    path("requests/<reference:reference>/", views.request_status, name="request_status"),
    path("requests/<reference:reference>/verify/", views.verify_request, name="verify_request"),
    path("requests/<reference:reference>/export/", views.download_export, name="download_export"),
]
