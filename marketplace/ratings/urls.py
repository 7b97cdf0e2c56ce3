from django.urls import path

from . import views

urlpatterns = [
    path("authority/", views.AuthorityEvaluationView.as_view(), name="authority"),
    path("platform/", views.PlatformEvaluationView.as_view(), name="platform"),
]

# Posted from the order page and named in hiring's namespace ("hiring:rate"): the project's URL
# configuration mounts these beside hiring's own order URLs, at /orders/<pk>/rate/ as before.
order_urlpatterns = [
    path("<int:pk>/rate/", views.RateView.as_view(), name="rate"),
    path("<int:pk>/reply/", views.ReplyView.as_view(), name="reply"),
]
