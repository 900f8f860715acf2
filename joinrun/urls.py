from django.contrib import admin
from django.urls import include, path

from joinrun import views, well_known

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", well_known.favicon, name="favicon"),
    path("apple-touch-icon.png", well_known.apple_touch_icon, name="apple_touch_icon"),
    path("apple-touch-icon-precomposed.png", well_known.apple_touch_icon,
         name="apple_touch_icon_precomposed"),
    path("robots.txt", well_known.robots_txt, name="robots_txt"),
    path("manifest.webmanifest", well_known.manifest, name="manifest"),
    path("accounts/", include("accounts.urls")),
    path("clubs/", include("clubs.urls")),
    path("privacy/", include("privacy.urls")),
    path("strava/", include("strava.urls")),
    path(".well-known/", include("privacy.well_known_urls")),
    path("admin/", admin.site.urls),
    path("", include("runs.urls")),
]

