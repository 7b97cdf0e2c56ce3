from django.urls import path

from . import portal

urlpatterns = [
    path("verify/", portal.VerifyPortalView.as_view(), name="verify"),
    path("api/verify/", portal.verify_api, name="api-verify"),
    path("api/permits/<str:token>/", portal.permit_api, name="api-permit"),
]
