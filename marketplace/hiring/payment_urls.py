"""The ``payments:`` URL namespace: the order's payment pages (hiring's, since paying moves the order)
and payments' own pages, under ``/payments/`` with the names templates use."""

from django.urls import path

from marketplace.payments import urls as payments_urls

from . import payment_views

urlpatterns = [
    path("orders/<int:pk>/pay/", payment_views.PayView.as_view(), name="pay"),
    path("orders/<int:pk>/pay/check/", payment_views.PayCheckView.as_view(), name="pay-check"),
    path("orders/<int:pk>/ledger/", payment_views.LedgerView.as_view(), name="ledger"),
    *payments_urls.urlpatterns,
]
