from django.urls import path

from . import log_views

# The JSON endpoints (head.json, heads.json, entries.json, proof/*.json) are in log_api.py;
# marketplace/urls.py adds them to this namespace ("transparency:log-head", ...) through public_api.
urlpatterns = [
    path("", log_views.LogPageView.as_view(), name="log"),
    path("key.pem", log_views.LogKeyView.as_view(), name="log-key"),
]
