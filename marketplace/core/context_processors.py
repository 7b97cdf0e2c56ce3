from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .selectors import acting_organisations


def site(request):
    """What every page's frame needs: the public base URL and the user's roles (lazily)."""
    user = getattr(request, "user", None)
    return {
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "roles": SimpleLazyObject(lambda: acting_organisations(user).roles) if user is not None else {},
    }
