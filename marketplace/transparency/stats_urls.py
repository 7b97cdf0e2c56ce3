from django.urls import path

from . import views

urlpatterns = [
    path("", views.StatsView.as_view(), name="stats"),
    path("staff/", views.StaffStatsView.as_view(), name="stats-staff"),
    path("staff/providers.csv", views.StaffDrilldownCsvView.as_view(), name="stats-staff-csv"),
    path("<slug:table>.csv", views.StatsCsvView.as_view(), name="stats-csv"),
]
