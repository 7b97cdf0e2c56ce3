"""Whole pages for anonymous visitors, served from the cache until anything changes.

Most traffic is people who are not signed in reading the same public pages: the home page, a
service item, a listing, a provider's profile, the open requests, the statistics. Rendering one costs
~10–15 ms of a core; serving it from the cache costs a fraction of a millisecond. A page is cached
and served only when nothing in it can belong to one visitor:

* the request is a GET with no cookie except the ones listed in :data:`NEUTRAL_COOKIES` (so no
  session: not signed in, no flash message waiting, no replica pin) and no ``Authorization`` header;
* the answer is a complete 200 HTML page that sets no cookie, left the session untouched, and does
  not say ``private``/``no-store``;
* a form's CSRF token is kept as a mark, and each visitor served the page gets their own token in
  its place (and the cookie that goes with it); a page whose token shows anywhere but a form field
  is not cached at all;
* the key is the host, the address with its query, the active language and the display mode.

**Freshness.** Every committed write through the ORM (a save, a delete, a many-to-many change) moves
the cache's generation on, which retires every cached page at once; :data:`QUIET_MODELS` are the
writes no public page shows (sessions, login attempts, read marks). Writes that bypass model
signals (``QuerySet.update``, ``bulk_create``, raw SQL) are seen within ``PAGE_CACHE_SECONDS``, the
longest a page is kept. ``PAGE_CACHE_SECONDS = 0`` turns the cache off (the default with ``DEBUG``).

The cache is Django's default cache: shared by every worker process when it is Redis (or files), as
``make serve`` and production have it.
"""

from __future__ import annotations

import hashlib
import re
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

from .context_processors import CARE_MODE_COOKIE

GENERATION_KEY = "ow:page-cache:generation"
CACHE_HEADER = "X-Page-Cache"
# Stands for the CSRF token in a cached page; each visitor who is served it gets their own token.
CSRF_MARK = b"__onewindow_csrf_token__"
_TOKEN_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
# Models whose writes change no page an anonymous visitor sees (app_label.ModelName, lower case).
QUIET_MODELS = frozenset(
    {
        "sessions.session",
        "axes.accessattempt",
        "axes.accesslog",
        "axes.accessfailurelog",
        "conversations.threadread",
        "core.notification",
        "core.notificationpreference",
        "core.personalsettings",
    }
)
# Columns whose change alone no public page shows: the time of someone's last login, written on
# every login.
QUIET_FIELDS = {"accounts.user": frozenset({"last_login"})}


def neutral_cookies() -> frozenset[str]:
    """Cookies that change nothing on a public page, or whose effect is part of the key."""
    return frozenset({settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME, CARE_MODE_COOKIE})


def generation() -> str:
    """The current generation: a random token, so a generation once retired never comes back (a
    counter restarted after the cache evicted it would revive pages cached under its old values)."""
    current = cache.get(GENERATION_KEY)
    if current is None:
        cache.add(GENERATION_KEY, uuid4().hex, timeout=None)
        current = cache.get(GENERATION_KEY)
    return current


def invalidate() -> None:
    """Retire every cached page (each keeps the generation it was made in)."""
    cache.set(GENERATION_KEY, uuid4().hex, timeout=None)


def _invalidate_on_commit(sender, **kwargs) -> None:
    label = f"{sender._meta.app_label}.{sender._meta.model_name}"
    if label in QUIET_MODELS:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields and frozenset(update_fields) <= QUIET_FIELDS.get(label, frozenset()):
        return
    using = kwargs.get("using") or DEFAULT_DB_ALIAS
    connection = connections[using]
    # One retirement per transaction, however many rows it writes.
    if connection.in_atomic_block and any(func is invalidate for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(invalidate, using=using)


def connect_invalidation() -> None:
    post_save.connect(_invalidate_on_commit, dispatch_uid="page-cache-save")
    post_delete.connect(_invalidate_on_commit, dispatch_uid="page-cache-delete")
    m2m_changed.connect(_invalidate_on_commit, dispatch_uid="page-cache-m2m")


def _cacheable_request(request) -> bool:
    return (
        request.method == "GET"
        and "HTTP_AUTHORIZATION" not in request.META
        and set(request.COOKIES) <= neutral_cookies()
        and settings.PAGE_CACHE_SECONDS > 0
    )


def _key(request) -> str:
    parts = "\x1f".join(
        [
            request.get_host(),
            request.get_full_path(),
            translation.get_language() or "",
            "care" if request.COOKIES.get(CARE_MODE_COOKIE) == "on" else "",
        ]
    )
    return "ow:page-cache:" + hashlib.sha256(parts.encode()).hexdigest()


def _cacheable_response(request, response) -> bool:
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and not response.cookies
        and not (session is not None and session.modified)
        and not (user is not None and user.is_authenticated)
        and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
    )


def _shareable_content(request, content: bytes) -> bytes | None:
    """The page with its CSRF token replaced by a mark each visitor's own token fills in, or None
    when the token (or the visitor's secret) shows anywhere that cannot be told apart safely."""
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return content  # no form on the page used a token
    # One render uses one masked token for every {% csrf_token %} (the context processor is lazy).
    found = _TOKEN_FIELD.search(content)
    if found is None:
        return None  # a token was taken but not written as a form field: never share it
    shared = content.replace(found.group(1), CSRF_MARK)
    secret = request.META.get("CSRF_COOKIE", "")
    if not secret or secret.encode() in shared or _TOKEN_FIELD.search(shared.replace(CSRF_MARK, b"")):
        return None
    return shared


class AnonymousPageCacheMiddleware:
    """Sits after the CSRF middleware (a page served from the cache gets the visitor's own token, and
    that middleware sets its cookie) and before authentication, sessions' users and messages, so a
    cached answer carries only what every visitor gets."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        key = _key(request)
        found = cache.get_many([GENERATION_KEY, key])
        current = found.get(GENERATION_KEY) or generation()
        entry = found.get(key)
        if entry is not None and entry[0] == current:
            _generation, content, headers = entry
            if CSRF_MARK in content:
                content = content.replace(CSRF_MARK, get_token(request).encode())
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            response[CACHE_HEADER] = "hit"
            return response
        response = self.get_response(request)
        if _cacheable_response(request, response):
            content = _shareable_content(request, response.content)
            if content is not None:
                headers = [(k, v) for k, v in response.items() if k.lower() not in ("set-cookie", "content-length")]
                cache.set(key, (current, content, headers), timeout=settings.PAGE_CACHE_SECONDS)
                response[CACHE_HEADER] = "miss"
        return response
