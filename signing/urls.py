from django.urls import path

from . import offline, portal, views

urlpatterns = [
    path("verify/", portal.VerifyPortalView.as_view(), name="verify"),
    path("verify/scan/", offline.scan_page, name="verify-scan"),
    path("verify/scan/sw.js", offline.scan_service_worker, name="verify-scan-sw"),
    path("verify/report/<str:report_id>/", portal.verification_report_download, name="verify-report"),
    path("api/verify/", portal.verify_api, name="api-verify"),
    path("api/permits/<str:token>/", portal.permit_api, name="api-permit"),
    path(".well-known/onewindow-trust-list.json", portal.trust_list_view, name="trust-list"),
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
