from django.urls import path

from . import offline, portal, views

# The JSON endpoints (api/verify/, api/permits/<token>/, .well-known/onewindow-trust-list.json) are in
# api.py; marketplace/urls.py adds them to this namespace ("signing:api-verify", ...) through public_api.
urlpatterns = [
    path("verify/", portal.VerifyPortalView.as_view(), name="verify"),
    path("verify/scan/", offline.scan_page, name="verify-scan"),
    path("verify/scan/sw.js", offline.scan_service_worker, name="verify-scan-sw"),
    path("verify/report/<str:report_id>/", portal.verification_report_download, name="verify-report"),
    path("v/<str:token>", portal.PermitLandingView.as_view(), name="permit-public"),
    path("permits/", views.MyPermitsView.as_view(), name="my-permits"),
    path("permits/<int:pk>/download/", views.MyPermitDownloadView.as_view(), name="my-permit-download"),
    path("permits/<int:pk>/code/", views.MyPermitCodeView.as_view(), name="my-permit-code"),
    path("authority/permits/", views.AuthorityPermitListView.as_view(), name="authority-permits"),
    path("authority/permits/issue/", views.PermitIssueView.as_view(), name="permit-issue"),
    path("authority/permits/<int:pk>/", views.AuthorityPermitDetailView.as_view(), name="authority-permit"),
    path(
        "authority/permits/<int:pk>/download/",
        views.AuthorityPermitDownloadView.as_view(),
        name="authority-permit-download",
    ),
]
