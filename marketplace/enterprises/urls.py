from django.urls import path

from . import views

urlpatterns = [
    path("", views.EnterpriseView.as_view(), name="home"),
    path("<int:pk>/members/", views.MemberAddView.as_view(), name="member-add"),
    path("<int:pk>/members/<int:member_pk>/remove/", views.MemberRemoveView.as_view(), name="member-remove"),
    path("<int:enterprise_pk>/invoice-titles/new/", views.InvoiceTitleView.as_view(), name="invoice-title-add"),
    path("invoice-titles/<int:pk>/", views.InvoiceTitleView.as_view(), name="invoice-title-edit"),
    path("invoice-titles/<int:pk>/delete/", views.InvoiceTitleDeleteView.as_view(), name="invoice-title-delete"),
]
