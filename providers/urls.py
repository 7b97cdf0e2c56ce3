"""Provider pages. The public profile and the credit pages share this prefix and namespace but
live in ``marketplace.credit.urls`` (joined to these in ``marketplace/urls.py``)."""

from django.urls import path

from . import ban_views, views

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
    path("console/bans/", ban_views.ConsoleBansView.as_view(), name="console-bans"),
    path("console/bans/<int:pk>/appeal/", ban_views.ConsoleBanAppealView.as_view(), name="console-ban-appeal"),
    path("qualifications/<int:pk>/scan/", views.QualificationScanView.as_view(), name="qualification-scan"),
    path("review/", views.ReviewQueueView.as_view(), name="review"),
    path("review/<int:pk>/", views.ReviewProviderView.as_view(), name="review-provider"),
    # Before the generic provider action below, which would take "ban" for an action's name.
    path("review/<int:pk>/ban/", ban_views.StaffBanImposeView.as_view(), name="review-ban-impose"),
    path("review/bans/<int:pk>/lift/", ban_views.StaffBanLiftView.as_view(), name="review-ban-lift"),
    path(
        "review/bans/<int:pk>/appeal/<slug:decision>/",
        ban_views.StaffBanAppealDecideView.as_view(),
        name="review-ban-appeal-decide",
    ),
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
