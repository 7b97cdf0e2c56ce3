from django.urls import path

from . import views

urlpatterns = [
    path("authority/", views.AuthorityEvaluationView.as_view(), name="authority"),
    path("platform/", views.PlatformEvaluationView.as_view(), name="platform"),
]
