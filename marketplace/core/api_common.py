"""What every public JSON endpoint shares, whichever app declares it: the error body, the page
object of list answers, and the router that carries both into the OpenAPI schema.

Each app's ``api.py`` declares its endpoints on an ``ApiRouter`` (django-ninja) and answers its own
errors with ``error_response``. ``marketplace/public_api.py``, at the top of the layers, mounts the
routers at their addresses, answers the errors django-ninja raises itself (a malformed parameter,
a method the endpoint does not take, a client over its rate limit) in the same shape, and serves
the schema at ``/api/schema/``.

The error body is ``{"code", "message", "error"}``: ``code`` a stable word for programs,
``message`` a sentence for people in the language of the address (``/zh-hans/...`` in Simplified
Chinese). ``error`` is what the endpoints said before there was a common shape and clients still
read: the code, except on the transparency log's endpoints, where it has always been the message.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from django.http import JsonResponse
from ninja import Router, Schema
from pydantic import Field

# The codes every endpoint may answer, whatever else it says (public_api.py produces them).
BAD_PARAMETER = "bad_parameter"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
RATE_LIMITED = "rate_limited"


class ApiError(Schema):
    """The body of every error answer (4xx, 5xx) of the public API."""

    code: str = Field(
        description="What went wrong, as a stable word: `bad_parameter`, `not_found`, `method_not_allowed`, "
        "`rate_limited`, or one the endpoint documents (`missing_file`, `too_large`, `unavailable`, ...).",
        examples=["not_found"],
    )
    message: str = Field(
        description="The same for a person, in the language of the address: English at `/...`, "
        "Simplified Chinese at `/zh-hans/...`.",
    )
    error: str = Field(
        description="Kept for clients written before `code` existed: the code again, except on the "
        "transparency log's endpoints, where it has always carried the message.",
    )


class Page(Schema):
    """Where a list answer sits in the whole list. To read everything, follow ``next_url`` until it is null."""

    number: int | None = Field(None, description="The page's number, from 1 (numbered pages only).")
    size: int = Field(description="The most items one page holds.")
    count: int | None = Field(None, description="How many pages there are (numbered pages only).")
    has_previous: bool
    has_next: bool
    previous_url: str | None = Field(description="The previous page of the same list, or null on the first.")
    next_url: str | None = Field(description="The next page of the same list, or null on the last.")


class ApiRouter(Router):
    """A django-ninja router of public endpoints. ``legacy_error`` says what the ``error`` field of its
    error answers carries (see the module docstring); ``public_api`` applies it to every error the
    router's endpoints give, including the ones django-ninja makes."""

    def __init__(self, *, legacy_error: Literal["code", "message"] = "code", **kwargs):
        super().__init__(**kwargs)
        self.legacy_error = legacy_error


def error_response(code: str, message, status: int, **extra) -> JsonResponse:
    """An error in the common shape; ``extra`` adds the fields an endpoint has always sent beside it."""
    return JsonResponse(
        {"error": code, "code": code, "message": str(message), **extra},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def errors(*statuses: int) -> dict[int, type[ApiError]]:
    """The ``response=`` entries of an operation's documented error statuses."""
    return dict.fromkeys(statuses, ApiError)


def page_url(request, **params) -> str:
    """This endpoint's address (with its language prefix) with ``params`` as the query."""
    return f"{request.path}?{urlencode(params)}"
