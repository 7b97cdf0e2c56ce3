from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .selectors import acting_organisations

CARE_MODE_COOKIE = "ow_care"


def site(request):
    """What every page's frame needs: the public base URL, the user's roles (lazily) and whether the
    elder-friendly display is on."""
    user = getattr(request, "user", None)
    return {
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "care_mode": request.COOKIES.get(CARE_MODE_COOKIE) == "on",
        "roles": SimpleLazyObject(lambda: acting_organisations(user).roles) if user is not None else {},
    }
