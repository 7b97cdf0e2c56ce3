from django.urls import path

from . import views

urlpatterns = [
    path("orders/<int:pk>/pay/", views.PayView.as_view(), name="pay"),
    path("orders/<int:pk>/pay/check/", views.PayCheckView.as_view(), name="pay-check"),
    path("orders/<int:pk>/ledger/", views.LedgerView.as_view(), name="ledger"),
    path("earnings/", views.EarningsView.as_view(), name="earnings"),
]
