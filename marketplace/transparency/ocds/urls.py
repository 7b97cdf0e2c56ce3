"""Open contracting data, included at ``api/ocds/`` (namespace "ocds") outside the language prefixes."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("releases/", views.releases, name="releases"),
    path("processes/<str:ocid>/", views.process, name="process"),
    re_path(r"^packages/(?P<day>[^/]+)\.json$", views.daily_package, name="daily"),
]
