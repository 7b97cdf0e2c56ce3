"""``/api/ocds/``: public, read-only JSON. Thin: parse the parameters, call ``packages``/``daily``, render.

* ``GET /api/ocds/releases/?from=YYYY-MM-DD&to=YYYY-MM-DD[&limit=N][&cursor=…]`` → ``releases``
* ``GET /api/ocds/processes/<ocid>/`` → ``process``
* ``GET /api/ocds/packages/YYYY-MM-DD.json`` → ``daily_package``

A parameter the caller can fix is a 400 ``{"error": code, "message": …}``; an unknown process or a
day without a package yet is a 404 of the same shape.
"""

import datetime
import re

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import daily, packages

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_DAYS = 7


class _BadDate(ValueError):
    pass


def _error(code: str, message, status: int) -> JsonResponse:
    return _public(JsonResponse({"error": code, "message": str(message)}, status=status))


def _public(response: HttpResponse) -> HttpResponse:
    # Open data: any site may read it from a browser (GET only, no credentials).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _json(data: dict) -> HttpResponse:
    return _public(JsonResponse(data, json_dumps_params={"ensure_ascii": False}))


def _date(text: str, name: str) -> datetime.date:
    if not _DATE.match(text):
        raise _BadDate(_("“%(name)s” must be a date written YYYY-MM-DD.") % {"name": name})
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise _BadDate(_("“%(name)s” is not a date in the calendar.") % {"name": name}) from None
    if not 1900 <= day.year <= 2999:  # as the results list's filters; and no date arithmetic past the calendar
        raise _BadDate(
            _("Enter a date between %(earliest)s and %(latest)s.") % {"earliest": "1900-01-01", "latest": "2999-12-31"}
        )
    return day


@require_GET
def releases(request):
    """A release package of the releases dated ``from`` to ``to`` (both included; default: the last
    seven days), oldest first, ``limit`` at a time, ``links.next`` to the next page."""
    try:
        end = _date(request.GET["to"], "to") if "to" in request.GET else daily.today()
        start = (
            _date(request.GET["from"], "from") if "from" in request.GET else end - datetime.timedelta(DEFAULT_DAYS - 1)
        )
    except _BadDate as error:
        return _error("bad_date", error, 400)
    limit = request.GET.get("limit")
    if limit is not None and not (limit.isascii() and limit.isdigit()):  # "²" is a digit to isdigit()
        return _error("bad_limit", _("The limit must be a whole number."), 400)
    try:
        package = packages.release_page(
            start, end, cursor=request.GET.get("cursor") or None, limit=int(limit) if limit else None
        )
    except packages.InvalidParameter as error:
        return _error("bad_parameter", error, 400)
    return _json(package)


@require_GET
def process(request, ocid: str):
    """The record package of one contracting process: every release and the compiled release."""
    try:
        return _json(packages.record_package_of(ocid))
    except packages.UnknownProcess:
        return _error("unknown_process", _("No contracting process has this ocid."), 404)


@require_GET
def daily_package(request, day: str):
    """Every release of one finished day, as written once the day was over."""
    try:
        parsed = _date(day, "day")
    except _BadDate as error:
        return _error("bad_date", error, 400)
    try:
        package = daily.package_for(parsed)
    except daily.DayNotOver:
        return _error(
            "not_published", _("A day's package is published once the day is over (China Standard Time)."), 404
        )
    response = _public(HttpResponse(package.content, content_type="application/json; charset=utf-8"))
    response["ETag"] = f'"{package.sha256}"'
    response["Content-Disposition"] = f'inline; filename="ocds-releases-{parsed:%Y-%m-%d}.json"'
    # A written package never changes; one computed for a missing day may still be written differently.
    response["Cache-Control"] = "public, max-age=86400, immutable" if package.stored else "public, max-age=300"
    return response
