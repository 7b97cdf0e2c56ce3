"""Public statistics (``stats/``) and the staff oversight pages (``oversight/``)."""

from django.urls import include, path

urlpatterns = [
    path("stats/", include("marketplace.transparency.stats_urls")),
    path("oversight/", include("marketplace.transparency.oversight_urls")),
]
