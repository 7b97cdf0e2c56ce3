from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from . import table_versions
from .notify import unread_cache_key, unread_count_store
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
    """The header's unread badge: kept in the cache until a notification arrives or is read. A page
    showing it depends on that person's count alone, not on every notification anyone gets."""
    if not user.is_authenticated:
        return 0
    table_versions.note_source(unread_cache_key(user))
    cached = cache.get(unread_cache_key(user))
    if cached is not None:
        return cached
    with table_versions.not_reading():  # any change to the count retires the source
        return unread_count_store(user)
