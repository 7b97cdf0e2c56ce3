"""Payments' own pages. The order's pay and receipt pages join them in the ``payments:`` namespace from
``marketplace.hiring.payment_urls`` (they move the order, so they live above payments)."""

from django.urls import path

from . import invoice_views, views

urlpatterns = [
    path("earnings/", views.EarningsView.as_view(), name="earnings"),
    path("statement/", views.StatementView.as_view(), name="statement"),
    path("invoices/", invoice_views.InvoicesView.as_view(), name="invoices"),
    path("invoices/request/", invoice_views.InvoiceRequestView.as_view(), name="invoice-request"),
    path("invoices/<int:pk>/withdraw/", invoice_views.InvoiceWithdrawView.as_view(), name="invoice-withdraw"),
    path("invoices/<int:pk>/issue/", invoice_views.InvoiceIssueView.as_view(), name="invoice-issue"),
    path("invoices/<int:pk>/file/", invoice_views.InvoiceFileView.as_view(), name="invoice-file"),
    path("differences/", views.DifferencesView.as_view(), name="differences"),
    path("differences/<int:pk>/resolve/", views.DifferenceResolveView.as_view(), name="difference-resolve"),
]
