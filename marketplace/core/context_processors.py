from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from .notify import unread_cache_key, unread_count_refresh
from .selectors import request_organisations

CARE_MODE_COOKIE = "ow_care"


def site(request):
    """What every page's frame needs: the public base URL, the user's roles (lazily) and whether the
    elder-friendly display is on."""
    user = getattr(request, "user", None)
    return {
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "care_mode": request.COOKIES.get(CARE_MODE_COOKIE) == "on",
        "roles": SimpleLazyObject(lambda: request_organisations(request).roles) if user is not None else {},
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user)) if user is not None else 0,
    }


def unread_count(user) -> int:
    """The header's unread badge: kept in the cache until a notification arrives or is read."""
    if not user.is_authenticated:
        return 0
    cached = cache.get(unread_cache_key(user))
    return cached if cached is not None else unread_count_refresh(user)
