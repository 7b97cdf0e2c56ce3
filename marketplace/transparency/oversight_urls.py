"""Staff watch lists under ``/oversight/`` (names ``transparency:oversight-*``)."""

from django.urls import path

from . import oversight_views as views

urlpatterns = [
    path("", views.OverviewView.as_view(), name="oversight"),
    path("overdue-orders/", views.OverdueOrdersView.as_view(), name="oversight-overdue"),
    path("providers/", views.ProvidersBelowThresholdView.as_view(), name="oversight-providers"),
    path("qualifications/expiring/", views.ExpiringQualificationsView.as_view(), name="oversight-expiring"),
    path("qualifications/expired/", views.ExpiredQualificationsView.as_view(), name="oversight-expired"),
    path("objections/", views.OpenObjectionsView.as_view(), name="oversight-objections"),
    path("disputes/", views.OpenDisputesView.as_view(), name="oversight-disputes"),
    path("invoices/", views.OverdueInvoicesView.as_view(), name="oversight-invoices"),
]
