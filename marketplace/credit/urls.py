"""Credit's pages, at the addresses and names they had when credit lived inside providers.

``marketplace/urls.py`` mounts these under ``providers/`` in the ``providers`` namespace next to
``providers.urls`` (which must not import credit, the layer above it), so ``/providers/<pk>/``,
``/providers/credit/formula/`` and ``{% url "providers:console-credit" %}`` are unchanged.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.ProviderProfileView.as_view(), name="profile"),
    path("console/credit/", views.ConsoleCreditView.as_view(), name="console-credit"),
    path(
        "console/credit/appeal/<slug:source>/<int:source_id>/",
        views.ConsoleCreditAppealView.as_view(),
        name="console-credit-appeal",
    ),
    path("penalties/", views.PenaltiesView.as_view(), name="penalties"),
    path("credit/staff/<int:pk>/negative/", views.StaffNegativeEventView.as_view(), name="credit-negative-record"),
    path("credit/formula/", views.CreditFormulaView.as_view(), name="credit-formula"),
    path("credit/staff/", views.StaffCreditView.as_view(), name="credit-staff"),
    path("credit/staff/<int:pk>/", views.StaffCreditProviderView.as_view(), name="credit-staff-provider"),
    path("credit/staff/<int:pk>/suspend/", views.StaffCreditSuspendView.as_view(), name="credit-staff-suspend"),
    path(
        "credit/appeals/<int:pk>/<slug:decision>/",
        views.StaffAppealDecideView.as_view(),
        name="credit-appeal-decide",
    ),
]
