"""Mounted under the order's and the request's own prefixes (see marketplace/urls.py)."""

from django.urls import path

from . import views

order_urlpatterns = [
    path("<int:pk>/messages/", views.MessagePostView.as_view(), name="message-post"),
    path("<int:pk>/messages/thread/", views.ThreadFragmentView.as_view(), name="thread"),
    path("<int:pk>/messages/<int:message_pk>/edit/", views.MessageEditView.as_view(), name="message-edit"),
    path(
        "<int:pk>/messages/<int:message_pk>/attachment/",
        views.MessageAttachmentView.as_view(),
        name="message-attachment",
    ),
]

request_urlpatterns = [
    path("<int:pk>/clarifications/", views.ClarificationAskView.as_view(), name="clarification-ask"),
    path(
        "<int:pk>/clarifications/<int:clarification_pk>/answer/",
        views.ClarificationAnswerView.as_view(),
        name="clarification-answer",
    ),
]
