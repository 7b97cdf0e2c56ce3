from django.urls import path

from . import fair_play_views

urlpatterns = [
    path("related-parties/", fair_play_views.RelatedPartiesView.as_view(), name="related-parties"),
    path("conflicts/", fair_play_views.ConflictAttemptsView.as_view(), name="conflict-attempts"),
]
