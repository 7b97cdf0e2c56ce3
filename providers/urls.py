"""Provider pages. The public profile and the credit pages share this prefix and namespace but
live in ``marketplace.credit.urls`` (joined to these in ``marketplace/urls.py``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("join/", views.BecomeProviderView.as_view(), name="become"),
    # The console always acts for the signed-in person's own provider: no provider id in its URLs.
    path("console/", views.ConsoleHomeView.as_view(), name="console"),
    path("console/submit/", views.ConsoleSubmitView.as_view(), name="console-submit"),
    path("console/certificate/", views.ConsoleCertificateView.as_view(), name="console-certificate"),
    path("console/profile/", views.ConsoleProfileView.as_view(), name="console-profile"),
    path("console/qualifications/", views.ConsoleQualificationsView.as_view(), name="console-qualifications"),
    path("console/listings/", views.ConsoleListingsView.as_view(), name="console-listings"),
    path("console/listings/new/", views.ConsoleListingFormView.as_view(), name="console-listing-create"),
    path("console/listings/<int:pk>/", views.ConsoleListingFormView.as_view(), name="console-listing-edit"),
    path(
        "console/listings/<int:pk>/publish/",
        views.ConsoleListingPublishView.as_view(),
        name="console-listing-publish",
    ),
    path("console/team/", views.ConsoleTeamView.as_view(), name="console-team"),
    path("console/team/<int:pk>/remove/", views.ConsoleTeamRemoveView.as_view(), name="console-team-remove"),
    path("console/team/<int:pk>/role/", views.ConsoleTeamRoleView.as_view(), name="console-team-role"),
    path("qualifications/<int:pk>/scan/", views.QualificationScanView.as_view(), name="qualification-scan"),
    path("review/", views.ReviewQueueView.as_view(), name="review"),
    path("review/<int:pk>/", views.ReviewProviderView.as_view(), name="review-provider"),
    path(
        "review/<int:pk>/<slug:action>/",
        views.ReviewProviderActionView.as_view(),
        name="review-provider-action",
    ),
    path(
        "review/qualifications/<int:pk>/<slug:action>/",
        views.ReviewQualificationActionView.as_view(),
        name="review-qualification-action",
    ),
]
