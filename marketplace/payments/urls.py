"""Payments' own pages. The order's pay and receipt pages join them in the ``payments:`` namespace from
``marketplace.hiring.payment_urls`` (they move the order, so they live above payments)."""

from django.urls import path

from . import views

urlpatterns = [
    path("earnings/", views.EarningsView.as_view(), name="earnings"),
    path("statement/", views.StatementView.as_view(), name="statement"),
    path("differences/", views.DifferencesView.as_view(), name="differences"),
    path("differences/<int:pk>/resolve/", views.DifferenceResolveView.as_view(), name="difference-resolve"),
]
