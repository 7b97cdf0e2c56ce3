"""Whole pages served from the cache until a table they were made from changes.

Rendering a page costs 10–100 ms of a core; serving it from the cache a fraction of a millisecond.
Two kinds of page are kept:

* **public pages**, for a visitor who is not signed in: a GET with no cookie except those listed in
  :func:`neutral_cookies` (no session: no flash message waiting, no replica pin) and no
  ``Authorization`` header; one copy for every such visitor;
* **a signed-in person's own pages**: a GET whose only other cookie is the session's, for a signed-in
  account with no flash message waiting; one copy per session (the key holds the account and a
  digest of the session's contents), never seen by anyone else.

A page is kept only when it is a complete 200 HTML page that sets no cookie, left the session
untouched, wrote nothing to the database, and does not say ``no-store`` (a public page also not
``private``/``no-cache``). A form's CSRF token is kept as a mark; each visitor served the page gets
their own token in its place (and the cookie that goes with it). A page whose token shows anywhere
but a form field is not kept. The key is the host, the address with its query, the active language,
the display mode and, for a signed-in page, the session's.

**Freshness.** A page is kept with the version token of every table it was made from: the tables its
statements named (:mod:`marketplace.core.table_versions`), values taken from the cache that said
which tables (or narrower sources, such as one person's unread count) they came from. Any committed
write to one of those tables, through the ORM or not, retires the page; a write to any other table
leaves it. A signed-in page's key holds the account as read for the request, so a change to the
account is a new page at once.
The tokens are read *before* the page is made, so a write that commits while it is being made
retires it too. A page whose making read something no token follows is not kept. Writes from outside
the application are seen within ``PAGE_CACHE_SECONDS``, the longest a page is kept;
``PAGE_CACHE_SECONDS = 0`` turns the cache off (the default with ``DEBUG``).

The cache is Django's default cache: shared by every worker process when it is Redis (or files), as
``make serve`` and production have it. Signed-in pages held there are personal data at rest, as the
sessions beside them are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

from . import replicas, table_versions
from .context_processors import CARE_MODE_COOKIE

logger = logging.getLogger(__name__)
CACHE_HEADER = "X-Page-Cache"
# Stands for the CSRF token in a cached page; each visitor who is served it gets their own token.
CSRF_MARK = b"__onewindow_csrf_token__"
_TOKEN_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
_MESSAGES_IN_SESSION = "_messages"  # django.contrib.messages' session storage
PUBLIC = ""


def neutral_cookies() -> frozenset[str]:
    """Cookies that change nothing on a page, or whose effect is part of the key."""
    return frozenset({settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME, CARE_MODE_COOKIE})


def _scope(request) -> str | None:
    """Whose copy of the page this request may have: :data:`PUBLIC`, one signed-in session's, or None
    (not cached at all)."""
    if request.method != "GET" or settings.PAGE_CACHE_SECONDS <= 0 or "HTTP_AUTHORIZATION" in request.META:
        return None
    cookies, neutral = set(request.COOKIES), neutral_cookies()
    if cookies <= neutral:
        return PUBLIC
    if not cookies <= neutral | {settings.SESSION_COOKIE_NAME}:
        return None  # a flash message in its cookie, a cart before signing in, ...
    user = request.user  # the session and the account, checked as every page checks them
    if not user.is_authenticated or _MESSAGES_IN_SESSION in request.session:
        return None
    # The account as read for this request is part of the key (its name, its staff flag, ...): a
    # change to it is a new page at once, and a login's new last_login retires nothing.
    account = {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields if f.name != "last_login"}
    contents = json.dumps([dict(request.session.items()), account], sort_keys=True, default=str)
    return f"user:{user.pk}:{hashlib.sha256(contents.encode()).hexdigest()}"


def _key(request, scope: str) -> str:
    parts = "\x1f".join(
        [
            scope,
            request.get_host(),
            request.get_full_path(),
            translation.get_language() or "",
            "care" if request.COOKIES.get(CARE_MODE_COOKIE) == "on" else "",
        ]
    )
    return "ow:page-cache:v2:" + hashlib.sha256(parts.encode()).hexdigest()


def _unchanged(kept: dict[str, str | None], now: dict[str, str | None]) -> bool:
    """Every token a page was kept under is still the current one (a token the cache could not give
    is never a match)."""
    return all(token is not None and now.get(table) == token for table, token in kept.items())


def _cacheable_response(request, response, scope: str) -> bool:
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    cache_control = response.get("Cache-Control", "")
    refused = ("no-store",) if scope != PUBLIC else ("private", "no-store", "no-cache")
    return (
        response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and not response.cookies
        and not (session is not None and session.modified)
        and signed_in == (scope != PUBLIC)
        and not any(word in cache_control for word in refused)
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


class PageCacheMiddleware:
    """Sits after the CSRF middleware (a page served from the cache gets the visitor's own token, and
    that middleware sets its cookie), authentication (a signed-in page is served only to the session
    it was made for, once the session and account check out) and messages (a waiting message is
    never skipped); before anything a page's making may touch (the cart, flat pages, login lock-outs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        scope = _scope(request)
        if scope is None:
            return self.get_response(request)
        key = _key(request, scope)
        try:
            entry = cache.get(key)  # (tokens it was made under, content or None, headers)
            # The tables' tokens before the page is made: a write committed from here on retires it.
            tables = (
                entry[0].keys() if entry is not None else table_versions.known_tables() | {table_versions.EVERYTHING}
            )
            tokens = table_versions.current(tables)
        except Exception:  # the cache unreachable (any backend's error): it only saves work, so
            # the page is made as if there were no cache, and neither served from it nor kept
            logger.warning("Page cache unreachable; making %s without it", request.path, exc_info=True)
            return self.get_response(request)
        if entry is not None and entry[1] is not None and _unchanged(entry[0], tokens):
            return self._serve(request, entry)
        replicas.read_primary()  # kept as current: made from current data, not a lagging copy
        with table_versions.reading() as reads:
            response = self.get_response(request)
        if reads.wrote or reads.untracked or not _cacheable_response(request, response, scope):
            return response
        content = _shareable_content(request, response.content)
        if content is None:
            return response
        made_from = reads.tables | {table_versions.EVERYTHING}
        # A named source noted while the page was made was read then, before its value: as good as
        # a token read before the page (those read before win).
        tokens = reads.snapshots | tokens
        try:
            if all(tokens.get(t) is not None for t in made_from):
                headers = [(k, v) for k, v in response.items() if k.lower() not in ("set-cookie", "content-length")]
                entry = ({t: tokens[t] for t in made_from}, content, headers)
                cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
                response[CACHE_HEADER] = "miss"
            else:
                # Made from a table whose token was not read first (the page changed what it reads):
                # remember the tables, so the next request reads their tokens before making it.
                cache.set(key, (dict.fromkeys(made_from), None, []), settings.PAGE_CACHE_SECONDS)
        except Exception:  # the cache unreachable: the page is made, it just is not kept
            logger.warning("Page cache unreachable; %s not kept", request.path, exc_info=True)
        return response

    @staticmethod
    def _serve(request, entry) -> HttpResponse:
        _tokens, content, headers = entry
        if CSRF_MARK in content:
            content = content.replace(CSRF_MARK, get_token(request).encode())
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        response[CACHE_HEADER] = "hit"
        return response
