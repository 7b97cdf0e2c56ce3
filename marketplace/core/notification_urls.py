from django.urls import path

from . import notification_views as views

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="list"),
    path("<int:pk>/open/", views.NotificationOpenView.as_view(), name="open"),
    path("read-all/", views.NotificationsReadAllView.as_view(), name="read-all"),
    path("settings/", views.NotificationSettingsView.as_view(), name="settings"),
]
