"""The staff home (``staff/``), public statistics (``stats/``), the staff oversight pages
(``oversight/``) and the transparency log."""

from django.urls import include, path

from .staff_home import StaffHomeView

urlpatterns = [
    path("staff/", StaffHomeView.as_view(), name="staff-home"),
    path("stats/", include("marketplace.transparency.stats_urls")),
    path("oversight/", include("marketplace.transparency.oversight_urls")),
    path("transparency/log/", include("marketplace.transparency.log_urls")),
]
