"""``approvals/`` (the public catalogue of approval matters), ``cases/`` and ``authority/cases/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("approvals/", views.MatterListView.as_view(), name="matters"),
    path("approvals/<slug:code>/", views.MatterDetailView.as_view(), name="matter"),
    path("cases/", views.CaseListView.as_view(), name="cases"),
    path("cases/new/", views.CaseOpenView.as_view(), name="case-open"),
    path("cases/over-time-limit/", views.OverdueCasesView.as_view(), name="overdue"),
    path("cases/<str:code>/", views.CaseDetailView.as_view(), name="case"),
    path("cases/<str:code>/attach/", views.CaseAttachView.as_view(), name="case-attach"),
    path("cases/<str:code>/check-file/", views.CaseFileCheckView.as_view(), name="case-check-file"),
    path("cases/<str:code>/files/<int:file_pk>/", views.CaseFileDownloadView.as_view(), name="case-file"),
    path("cases/<str:code>/notes/<int:note_pk>/", views.CaseNoteDownloadView.as_view(), name="case-note"),
    path("cases/<str:code>/bundle/", views.CaseBundleView.as_view(), name="case-bundle"),
    path("cases/<str:code>/submit/", views.CaseSubmitView.as_view(), name="case-submit"),
    path("cases/<str:code>/decide/", views.CaseDecideView.as_view(), name="case-decide"),
    path("cases/<str:code>/permit/", views.CasePermitIssueView.as_view(), name="case-permit"),
    path("authority/cases/", views.AuthorityCaseListView.as_view(), name="authority-cases"),
]
