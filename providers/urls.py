from django.urls import path

from . import views

urlpatterns = [
    path("join/", views.BecomeProviderView.as_view(), name="become"),
]
