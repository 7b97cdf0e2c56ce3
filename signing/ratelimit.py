"""A fixed-window request counter per client address, kept in the cache.

Enough to stop one address from hammering the anonymous APIs. Behind a reverse proxy, REMOTE_ADDR is
the client's address only with ``TRUSTED_PROXY_COUNT`` set (``core.middleware.TrustedProxyMiddleware``
reads it from where the trusted proxy wrote it, never from what a client can forge).
"""

from __future__ import annotations

import time

from django.core.cache import cache

from marketplace.core import table_versions


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(request, *, scope: str, limit: int, window_seconds: int = 60) -> int | None:
    """Count this request; return the seconds to wait if the client is over ``limit``, else None."""
    if limit <= 0:
        return None
    table_versions.note_untracked()  # a page served from the cache would not be counted
    now = int(time.time())
    window = now // window_seconds
    key = f"ratelimit:{scope}:{client_address(request)}:{window}"
    # add() is atomic: only the first request of a window creates the counter.
    cache.add(key, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start again
        cache.set(key, 1, timeout=window_seconds + 5)
        count = 1
    if count > limit:
        return window_seconds - (now % window_seconds) or window_seconds
    return None
