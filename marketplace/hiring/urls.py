from django.urls import path

from . import views

urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("<int:pk>/", views.OrderDetailView.as_view(), name="detail"),
    path("<int:pk>/deliverables/<int:file_pk>/", views.DeliverableDownloadView.as_view(), name="deliverable"),
    path("<int:pk>/extensions/<int:ext_pk>/<slug:decision>/", views.ExtensionDecideView.as_view(), name="extension"),
    path("<int:pk>/delivery-notes/<int:note_pk>/", views.DeliveryNoteDownloadView.as_view(), name="delivery-note"),
    path("<int:pk>/contract/download/", views.ContractDownloadView.as_view(), name="contract-download"),
    path("<int:pk>/contract/<slug:step>/", views.ContractActionView.as_view(), name="contract"),
    path("<int:pk>/<slug:action>/", views.OrderActionView.as_view(), name="action"),
    path("disputes/", views.DisputeQueueView.as_view(), name="disputes"),
    path("disputes/<int:pk>/resolve/", views.DisputeResolveView.as_view(), name="dispute-resolve"),
]
