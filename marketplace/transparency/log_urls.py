from django.urls import path

from . import log_views

urlpatterns = [
    path("", log_views.LogPageView.as_view(), name="log"),
    path("head.json", log_views.HeadView.as_view(), name="log-head"),
    path("heads.json", log_views.HeadsView.as_view(), name="log-heads"),
    path("entries.json", log_views.EntriesView.as_view(), name="log-entries"),
    path("proof/inclusion.json", log_views.InclusionProofView.as_view(), name="log-inclusion"),
    path("proof/consistency.json", log_views.ConsistencyProofView.as_view(), name="log-consistency"),
    path("key.pem", log_views.LogKeyView.as_view(), name="log-key"),
]
