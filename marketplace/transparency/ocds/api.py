"""``/api/ocds/`` in the public API's schema (``marketplace/public_api.py``): each operation hands the
request to its view in ``views.py``, which parses the parameters and answers; the signatures here
say what those views take and give. The parameters are declared as text, as the views read them,
so that a malformed one gets the view's own error code (``bad_date``, ``bad_limit``, ...).

The packages follow OCDS 1.1 (https://standard.open-contracting.org/1.1/en/schema/) and validate
against its release- and record-package schemas (``validation.py``); a page of releases links to
the next as the standard says, with ``links.next``.
"""

from datetime import datetime
from typing import Any

from ninja import Path, Query, Schema
from pydantic import ConfigDict, Field

from marketplace.core.api_common import ApiRouter, errors

from . import views

router = ApiRouter(tags=["Open contracting data (OCDS)"])

STANDARD = "https://standard.open-contracting.org/1.1/en/schema/"


class Publisher(Schema):
    model_config = ConfigDict(extra="allow")

    name: str


class PackageLinks(Schema):
    next: str | None = Field(None, description="The next page of the same releases; absent on the last.")


class ReleasePackage(Schema):
    """An OCDS 1.1 release package (see the standard's release-package schema)."""

    model_config = ConfigDict(extra="allow")

    uri: str
    version: str
    publishedDate: datetime  # noqa: N815 - the standard's field name
    publisher: Publisher
    releases: list[dict[str, Any]] = Field(description=f"OCDS releases ({STANDARD}reference/#release).")
    links: PackageLinks | None = None


class RecordPackage(Schema):
    """An OCDS 1.1 record package: one record, with every release of the process and the compiled one."""

    model_config = ConfigDict(extra="allow")

    uri: str
    version: str
    publishedDate: datetime  # noqa: N815 - the standard's field name
    publisher: Publisher
    records: list[dict[str, Any]] = Field(description=f"OCDS records ({STANDARD}record_package/).")


@router.get(
    "/api/ocds/releases/",
    url_name="releases",
    summary="OCDS releases by date",
    response={200: ReleasePackage, **errors(400)},
)
def releases(
    request,
    from_: str | None = Query(None, alias="from", description="First day, YYYY-MM-DD (default: six days before `to`)."),
    to: str | None = Query(None, description="Last day, YYYY-MM-DD, included (default: today, China Standard Time)."),
    limit: str | None = Query(None, description="Releases a page, 1 to `OCDS_PAGE_SIZE` (100 by default)."),
    cursor: str | None = Query(None, description="Where a page starts: take it from `links.next`, as it is."),
):
    """A release package of the releases dated `from` to `to` (at most `OCDS_MAX_RANGE_DAYS`, 31 by
    default), oldest first, a page at a time: follow `links.next` until there is none."""
    return views.releases(request)


@router.get(
    "/api/ocds/processes/{ocid}/",
    url_name="process",
    summary="One contracting process, as an OCDS record package",
    response={200: RecordPackage, **errors(404)},
)
def process(
    request,
    ocid: str = Path(
        description="The process's ocid: the OCID prefix, then `-rfq-<request id>` or `-order-<order number>`."
    ),
):
    return views.process(request, ocid=ocid)


@router.get(
    "/api/ocds/packages/{day}.json",
    url_name="daily",
    summary="Every release of one day, as a bulk OCDS release package",
    response={200: ReleasePackage, **errors(400, 404)},
)
def daily_package(request, day: str = Path(description="A finished day, YYYY-MM-DD (China Standard Time).")):
    """Written once the day is over and never changed (`ETag` is its SHA-256); a day not over yet is a 404."""
    return views.daily_package(request, day=day)
