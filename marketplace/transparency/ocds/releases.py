"""Releases and processes, found by date or by ocid (the plain functions the endpoints call).

Releases are built from the records the platform keeps (requests, selection rounds, objections,
orders, contract seals, extensions) each time they are asked for; a release's id and date name the
record that caused it, so the same release comes out the same way every time. A finished day's
releases are also written once, as that day's bulk package (``daily``), and served from there.
"""

import datetime

from django.utils import translation

from . import common, conf, contracts, identifiers, sources, tenders
from .common import Process


def _direct_orders_published() -> bool:
    return bool(conf.get("OCDS_PUBLISH_DIRECT_ORDERS"))


def processes_between(start: datetime.datetime, end: datetime.datetime) -> list[Process]:
    """Every process with a release dated in [start, end), each with all its releases."""
    with translation.override(common.LANGUAGE):
        found = [tenders.process(request) for request in sources.requests_between(start, end)]
        if _direct_orders_published():
            found += [contracts.direct_process(order) for order in sources.direct_orders_between(start, end)]
    return found


def sort_key(release: dict) -> tuple[datetime.datetime, str]:
    """The order of releases across processes, and the pagination cursor: date (to the second), then id."""
    return datetime.datetime.fromisoformat(release["date"]), release["id"]


def releases_between(start: datetime.datetime, end: datetime.datetime) -> list[dict]:
    """Every release dated in [start, end), oldest first (``sort_key``)."""
    found = [
        release
        for process in processes_between(start, end)
        for moment, release in zip(process.moments, process.releases, strict=True)
        if start <= moment < end
    ]
    return sorted(found, key=sort_key)


def process(ocid: str) -> Process | None:
    """The process ``ocid`` names, with all its releases; None when there is none (or it is not public)."""
    key = identifiers.parse_ocid(ocid)
    if key is None:
        return None
    with translation.override(common.LANGUAGE):
        if key.kind == identifiers.REQUEST:
            request = sources.requests().filter(pk=int(key.key)).first()
            return tenders.process(request) if request is not None else None
        if not _direct_orders_published():
            return None
        order = sources.direct_orders().filter(order__number=key.key).first()
        return contracts.direct_process(order) if order is not None else None
