"""Release and record packages: the plain functions behind ``/api/ocds/`` (the views only parse and render).

* ``release_page(start, end, cursor=, limit=)`` — a release package of the releases dated from ``start``
  to ``end`` (local dates, both included), oldest first, a page at a time: ``links.next`` carries a
  cursor (the last release's date and id: keyset pagination, as the OCDS hosting guidance advises, so a
  page does not shift when new releases arrive). An empty range is a package with no releases, as the
  guidance allows for a search that finds nothing.
* ``record_package_of(ocid)`` — the record package of one process.
* ``daily`` builds the day's bulk package with ``release_package`` too.

``InvalidParameter`` carries the message a 400 answer gives.
"""

import base64
import binascii
import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import conf, identifiers, records, releases
from .common import iso

VERSION = "1.1"


class InvalidParameter(ValueError):
    """A parameter the caller can fix; ``str()`` says how."""


class UnknownProcess(LookupError):
    pass


def api_url(viewname: str, query: dict | None = None, **kwargs) -> str:
    """An absolute address of the API (outside the language prefixes), on the configured public host."""
    url = settings.PUBLIC_BASE_URL + reverse(f"ocds:{viewname}", kwargs=kwargs)
    return f"{url}?{urlencode(query)}" if query else url


def publisher() -> dict:
    publisher = {"name": conf.get("OCDS_PUBLISHER_NAME"), "uri": settings.PUBLIC_BASE_URL + "/"}
    code = conf.get("OCDS_PUBLISHER_CREDIT_CODE")
    if code:
        publisher.update(scheme=identifiers.ORG_SCHEME, uid=code)
    return publisher


def _metadata(*, uri: str, published: datetime.datetime) -> dict:
    metadata = {"uri": uri, "version": VERSION, "publishedDate": iso(published), "publisher": publisher()}
    for key, setting in (("license", "OCDS_LICENSE"), ("publicationPolicy", "OCDS_PUBLICATION_POLICY")):
        if conf.get(setting):
            metadata[key] = conf.get(setting)
    return metadata


def last_change(found: list[dict], default: datetime.datetime) -> datetime.datetime:
    """A package made on demand is dated by the last change to what it holds (the OCDS rule)."""
    return max((releases.sort_key(release)[0] for release in found), default=default)


def release_package(found: list[dict], *, uri: str, published: datetime.datetime | None = None) -> dict:
    published = published or last_change(found, timezone.now())
    return {**_metadata(uri=uri, published=published), "releases": found}


def day_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start 00:00, the day after ``end`` 00:00) in the platform's time zone."""
    zone = timezone.get_default_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone),
    )


# --- the releases endpoint -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    date: datetime.datetime
    release_id: str

    def encode(self) -> str:
        raw = f"{self.date.isoformat()}|{self.release_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            date, release_id = raw.split("|", 1)
            moment = datetime.datetime.fromisoformat(date)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidParameter(_("The cursor is not one this API gave; follow links.next as it is.")) from None
        if moment.tzinfo is None or not release_id:
            raise InvalidParameter(_("The cursor is not one this API gave; follow links.next as it is."))
        return cls(moment, release_id)


def check_range(start: datetime.date, end: datetime.date) -> None:
    longest = conf.get("OCDS_MAX_RANGE_DAYS")
    if start > end:
        raise InvalidParameter(_("The date “from” must not be after the date “to”."))
    if (end - start).days + 1 > longest:
        raise InvalidParameter(
            _("Ask for at most %(days)s days at a time; the daily packages hold every release.") % {"days": longest}
        )


def check_limit(limit: int | None) -> int:
    largest = conf.get("OCDS_PAGE_SIZE")
    if limit is None:
        return largest
    if not 1 <= limit <= largest:
        raise InvalidParameter(_("The limit must be a number from 1 to %(largest)s.") % {"largest": largest})
    return limit


def release_page(
    start: datetime.date, end: datetime.date, *, cursor: str | None = None, limit: int | None = None
) -> dict:
    """A release package of the releases dated ``start`` to ``end`` (inclusive), after ``cursor``."""
    check_range(start, end)
    limit = check_limit(limit)
    after = Cursor.decode(cursor) if cursor else None
    begins, ends = day_bounds(start, end)
    if after is not None:  # a later page reads only the processes active from the cursor's second on
        begins = min(max(begins, after.date), ends)
    found = releases.releases_between(begins, ends)
    if after is not None:
        found = [release for release in found if releases.sort_key(release) > (after.date, after.release_id)]
    page, more = found[:limit], len(found) > limit
    query = {"from": start.isoformat(), "to": end.isoformat()}
    if limit != conf.get("OCDS_PAGE_SIZE"):
        query["limit"] = limit
    uri = api_url("releases", {**query, **({"cursor": cursor} if cursor else {})})
    package = release_package(page, uri=uri, published=last_change(page, min(ends, timezone.now())))
    if more:
        last = releases.sort_key(page[-1])
        package["links"] = {"next": api_url("releases", {**query, "cursor": Cursor(*last).encode()})}
    return package


# --- one process -----------------------------------------------------------------------------------


def record_package_of(ocid: str) -> dict:
    """The record package of the process ``ocid``: its record with every release and the compiled one."""
    process = releases.process(ocid)
    if process is None:
        raise UnknownProcess(ocid)
    record = records.record(process)
    package = _metadata(uri=api_url("process", ocid=ocid), published=last_change(process.releases, timezone.now()))
    return {**package, "records": [record]}
