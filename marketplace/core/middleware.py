"""One structured log line per request (method, path, status, duration, user id), for a log
collector reading ``LOG_FORMAT=json``; installed only then (settings), since the development server
already prints its own line."""

import logging
import time

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
