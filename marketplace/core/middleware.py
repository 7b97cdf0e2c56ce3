"""Request middleware of our own: the client's address behind trusted reverse proxies
(``TrustedProxyMiddleware``), and one structured log line per request (method, path, status,
duration, user id) for a log collector reading ``LOG_FORMAT=json``, installed only then (settings),
since the development server already prints its own line."""

import logging
import time

from django.conf import settings

logger = logging.getLogger("onewindow.requests")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,  # never the query string: it may carry a token or a search
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class TrustedProxyMiddleware:
    """Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, ``REMOTE_ADDR`` becomes the client's address, read
    from ``X-Forwarded-For`` where the nearest trusted proxy wrote it (the entry that many places from the
    right; what a client wrote further left is never believed). Login throttling and every rate limit
    count by ``REMOTE_ADDR``: without this, all clients of a proxied deployment share one allowance.
    Off (0) by default, where ``REMOTE_ADDR`` is the client itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        hops = settings.TRUSTED_PROXY_COUNT
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if hops > 0 and len(forwarded) >= hops:
            request.META["REMOTE_ADDR"] = forwarded[-hops]
        return self.get_response(request)
