"""The public JSON API as one django-ninja ``NinjaAPI``, described by an OpenAPI 3.1 schema at
``/api/schema/`` and a documentation page at ``/api/docs/``.

Each app keeps its endpoints in its own ``api.py`` (a ``marketplace.core.api_common.ApiRouter``);
this module, at the top of the layers, mounts them. It adds what is the same everywhere:

* one error shape (``api_common.ApiError``) for the errors django-ninja makes itself: a malformed
  parameter (400 ``bad_parameter``), a method the address does not take (405, with ``Allow``), a
  client over its allowance (429 ``rate_limited``, with ``Retry-After``);
* one rate limit per client address over the whole API (``API_RATE_LIMIT_PER_MINUTE``), counted
  like the verification limit (``signing.ratelimit``);
* the addresses: ``routes(router)`` gives a router's URL patterns with the names they always had,
  which ``marketplace/urls.py`` puts in the namespace they always were in (``signing:api-verify``,
  ``transparency:log-head``, ...), inside the language prefixes like the pages.
"""

from __future__ import annotations

import functools
import json
import math
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, re_path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView
from ninja import NinjaAPI
from ninja.errors import HttpError, Throttled, ValidationError
from ninja.responses import NinjaJSONEncoder
from ninja.throttling import BaseThrottle

from marketplace.core.api_common import (
    BAD_PARAMETER,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    RATE_LIMITED,
    ApiError,
    ApiRouter,
    error_response,
)
from marketplace.procurement import api as procurement_api
from marketplace.transparency import log_api
from marketplace.transparency.ocds import api as ocds_api
from search import api as search_api
from signing import api as signing_api
from signing import ratelimit

RATE_SCOPE = "api"

DESCRIPTION = """\
The platform's public records and checks, free to use without an account: search the listings,
verify a sealed document, read procurement results, download open contracting data (OCDS 1.1)
and audit the transparency log.

**Languages.** Every address also answers under `/zh-hans/` (then messages and labels are in
Simplified Chinese), except `/api/ocds/`, which is the same in every language.

**Errors.** Every error is JSON with `code`, a stable word for programs (`bad_parameter` 400,
`not_found` 404, `method_not_allowed` 405 with an `Allow` header, `rate_limited` 429, and those
each endpoint lists), and `message`, the same for people. `error` is kept for older clients.

**Rate limits.** Each client address may make {limit} requests a minute to the API as a whole;
verifying a file has its own, lower allowance. Past it the answer is 429 `rate_limited` with a
`Retry-After` header: the seconds to wait.

**Pagination.** A list answer carries a `page` object (`Page`): follow its `next_url` until it is
null. OCDS release packages follow their standard instead (`links.next`).
"""


class AddressThrottle(BaseThrottle):
    """``API_RATE_LIMIT_PER_MINUTE`` requests per client address and minute (0: no limit)."""

    def __init__(self):
        self._last = threading.local()  # one instance serves every thread; wait() follows allow_request()

    def allow_request(self, request) -> bool:
        self._last.wait = ratelimit.hit(request, scope=RATE_SCOPE, limit=settings.API_RATE_LIMIT_PER_MINUTE)
        return self._last.wait is None

    def wait(self) -> float | None:
        return getattr(self._last, "wait", None)


class PublicApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        return operation.url_name.replace("-", "_")  # the URL name, unique across the API (see _served)

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        # Paths as they are served, from the root (the routers declare full paths), whatever the prefix.
        schema = super().get_openapi_schema(path_prefix="", path_params=path_params)
        schema["info"]["description"] = DESCRIPTION.format(limit=settings.API_RATE_LIMIT_PER_MINUTE)
        schema["components"]["schemas"].setdefault("ApiError", ApiError.model_json_schema())
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"][429] = _RATE_LIMITED  # the API-wide limit, or an endpoint's own
        return schema


_RATE_LIMITED = {
    "description": "Too many requests from this address; wait as many seconds as `Retry-After` says.",
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
}

api = PublicApi(
    title="OneWindow public API",
    version="1.0",
    urls_namespace="public-api",
    openapi_url=None,  # served below, with the documentation page, at /api/schema/ and /api/docs/
    docs_url=None,
    throttle=[AddressThrottle()],
)
# Every app's endpoints, in the order the schema lists them; each declares its full paths.
ROUTERS = (search_api.router, signing_api.router, procurement_api.router, log_api.router, ocds_api.router)
for _router in ROUTERS:
    api.add_router("", _router)


# --- The errors django-ninja raises, in the common shape ------------------------------------------


def _parameter_message(problem: dict) -> str:
    name = str(problem.get("loc", ("?",))[-1])
    kind, context = problem.get("type", ""), problem.get("ctx") or {}
    if kind == "missing":
        return _("“%(name)s” is required.") % {"name": name}
    if kind.startswith("int_"):
        return _("“%(name)s” must be a whole number.") % {"name": name}
    if kind in ("greater_than_equal", "greater_than"):
        return _("“%(name)s” must be at least %(limit)s.") % {
            "name": name,
            "limit": context.get("ge", context.get("gt")),
        }
    if kind in ("less_than_equal", "less_than"):
        return _("“%(name)s” must be at most %(limit)s.") % {
            "name": name,
            "limit": context.get("le", context.get("lt")),
        }
    return _("“%(name)s” is not valid here.") % {"name": name}


def _bad_parameter(request, exc: ValidationError):
    return error_response(BAD_PARAMETER, _parameter_message(exc.errors[0] if exc.errors else {}), 400)


def _not_found(request, exc: Http404):
    return error_response(NOT_FOUND, _("Nothing is published at this address."), 404)


def _rate_limited(request, exc: Throttled):
    seconds = math.ceil(exc.wait or 60)
    return error_response(
        RATE_LIMITED,
        _("Too many requests from your address; please try again in %(seconds)d seconds.") % {"seconds": seconds},
        429,
    )


def _http_error(request, exc: HttpError):
    return error_response("error", exc.message, exc.status_code)


api.add_exception_handler(ValidationError, _bad_parameter)
api.add_exception_handler(Http404, _not_found)
api.add_exception_handler(Throttled, _rate_limited)
api.add_exception_handler(HttpError, _http_error)


# --- Addresses -------------------------------------------------------------------------------------


@functools.cache
def _served() -> dict[str, URLPattern]:
    patterns = [pattern for pattern in api.urls[0] if pattern.name and pattern.name != "api-root"]
    names = [pattern.name for pattern in patterns]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ImproperlyConfigured(f"public API operations share URL names: {sorted(duplicates)}")
    return {pattern.name: pattern for pattern in patterns}


def _common_error_shape(response: HttpResponse, legacy_error: str) -> HttpResponse:
    """Any JSON error ``{"code", "message", "error"}``, ``error`` as the router's clients expect it
    (``ApiRouter.legacy_error``), also when the app's code gives an older shape (``{"error": ...}``)."""
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith("application/json"):
        return response
    body = json.loads(response.content)
    if not isinstance(body, dict):
        return response
    legacy = body.get("error") if isinstance(body.get("error"), str) else None
    code = body.get("code") or (legacy if legacy_error == "code" and legacy else "error")
    message = body.get("message") or (legacy if legacy_error == "message" and legacy else code)
    shaped = {**body, "code": code, "message": message, "error": message if legacy_error == "message" else code}
    if shaped != body:
        response.content = json.dumps(shaped, ensure_ascii=False).encode()
    return response


def _endpoint(view, *, methods: set[str], legacy_error: str, non_atomic: bool):
    """django-ninja's view of one address, answering HEAD as GET, OPTIONS with ``Allow``, and any
    other method with a JSON 405 (django-ninja's own is plain text)."""
    allowed = {*methods, "OPTIONS", *(("HEAD",) if "GET" in methods else ())}
    allow = ", ".join(sorted(allowed))

    @functools.wraps(view)
    def endpoint(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(headers={"Allow": allow, "Content-Length": "0"})
        elif request.method not in allowed:
            message = _("This address takes %(methods)s requests only.") % {"methods": ", ".join(sorted(methods))}
            response = error_response(METHOD_NOT_ALLOWED, message, 405)
            response["Allow"] = allow
        elif request.method == "HEAD":
            request.method = "GET"  # the same answer; the server sends its headers alone
            try:
                response = view(request, *args, **kwargs)
            finally:
                request.method = "HEAD"
        else:
            response = view(request, *args, **kwargs)
        if response.status_code >= 400:
            response = _common_error_shape(response, legacy_error)
        return response

    endpoint.public_api = True  # tests/core/test_public_api.py: every JSON address is one of these
    if non_atomic:  # the operation asked for it (transaction.non_atomic_requests), as a view would
        transaction.non_atomic_requests(endpoint)
    return endpoint


def routes(router: ApiRouter, *, under: str = "") -> list[URLPattern]:
    """The URL patterns of ``router``'s operations, named as each operation's ``url_name`` says, for
    an ``include`` at ``under`` (the part of the declared paths the include's prefix already says)."""
    served = _served()
    patterns = []
    for path_view in router.path_operations.values():
        methods = {method for operation in path_view.operations for method in operation.methods}
        non_atomic = any(getattr(op.view_func, "_non_atomic_requests", None) for op in path_view.operations)
        for operation in path_view.operations:
            pattern = served[operation.url_name]
            route = str(pattern.pattern)
            if not route.startswith(under):
                raise ImproperlyConfigured(f"{route} is not under {under}")
            view = _endpoint(pattern.callback, methods=methods, legacy_error=router.legacy_error, non_atomic=non_atomic)
            patterns.append(path(route.removeprefix(under), view, name=operation.url_name))
    return patterns


# --- The schema and its documentation page ----------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _schema_text(rate_limit: int) -> bytes:
    # Generated once per process (and limit): it only changes with the code.
    return json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder, ensure_ascii=False).encode()


@require_GET
def schema_view(request):
    """The OpenAPI 3.1 schema, generated from the routers: readable from any origin, like the data."""
    response = HttpResponse(_schema_text(settings.API_RATE_LIMIT_PER_MINUTE), content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def docs_view(request):
    """The schema, readable: Swagger UI from our own static files (no CDN), under a short introduction."""
    return render(
        request,
        "api/docs.html",
        {
            "schema_url": reverse("api:schema"),
            "rate_limit": settings.API_RATE_LIMIT_PER_MINUTE,
            "verify_rate_limit": settings.VERIFY_RATE_LIMIT_PER_MINUTE,
        },
    )


def unknown(request):
    """Anything else under /api/: a JSON 404 that says where the list of endpoints is."""
    return error_response(
        NOT_FOUND,
        _("There is no API endpoint at this address; the list is at %(docs)s.") % {"docs": reverse("api:docs")},
        404,
    )


# Included at "api/" (namespace "api") after every app's endpoints, which the last pattern would hide.
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="api:docs"), name="index"),
    path("schema/", schema_view, name="schema"),
    path("docs/", docs_view, name="docs"),
    re_path(r"^.+$", unknown, name="unknown"),
]
