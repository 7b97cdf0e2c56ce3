"""Daily bulk release packages: every release of one day (Asia/Shanghai), at ``/api/ocds/packages/<day>.json``.

Once a day is over, the beat task (and ``manage.py ocds_daily_packages``) writes its package once and
never again: the stored JSON is what the endpoint serves from then on, byte for byte, so a reuser's
copy and its SHA-256 (the ``ETag``) stay true. A finished day not written yet (the worker was down)
is computed on request the same way and served, not stored: reads never write, and the next run of
the task fills the gap (it looks ``OCDS_DAILY_CATCH_UP_DAYS`` back). A day that is not over has no
package yet.
"""

import datetime
import hashlib
import json
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.transparency.models import OcdsDailyPackage

from . import conf, packages, releases, validation

logger = logging.getLogger(__name__)


class DayNotOver(ValueError):
    pass


class InvalidPackage(RuntimeError):
    """The package built for a day does not validate against the OCDS schema: nothing is written."""


@dataclass(frozen=True)
class DailyPackage:
    day: datetime.date
    content: str
    sha256: str
    stored: bool


def today(now: datetime.datetime | None = None) -> datetime.date:
    return timezone.localdate(now or timezone.now())


def is_over(day: datetime.date, now: datetime.datetime | None = None) -> bool:
    return day < today(now)


def serialise(package: dict) -> str:
    return json.dumps(package, ensure_ascii=False, separators=(",", ":"))


def build(day: datetime.date) -> dict:
    """The release package of every release dated ``day``."""
    start, end = packages.day_bounds(day, day)
    found = releases.releases_between(start, end)
    uri = packages.api_url("daily", day=day.isoformat())
    return packages.release_package(found, uri=uri, published=packages.last_change(found, end))


def _digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def package_for(day: datetime.date, *, now: datetime.datetime | None = None) -> DailyPackage:
    """The day's package as written, else computed now (not stored); ``DayNotOver`` for today and later."""
    stored = OcdsDailyPackage.objects.filter(day=day).first()
    if stored is not None:
        return DailyPackage(day=day, content=stored.content, sha256=stored.sha256, stored=True)
    if not is_over(day, now):
        raise DayNotOver(day)
    content = serialise(build(day))
    return DailyPackage(day=day, content=content, sha256=_digest(content), stored=False)


def daily_package_write(*, day: datetime.date, now: datetime.datetime | None = None) -> tuple[OcdsDailyPackage, bool]:
    """Write ``day``'s package unless it is written already: (the row, whether this call wrote it).

    Refuses a day that is not over (``DayNotOver``) and a package that fails the schema (``InvalidPackage``:
    better no file than a wrong one; the next run tries again).
    """
    existing = OcdsDailyPackage.objects.filter(day=day).first()
    if existing is not None:
        return existing, False
    if not is_over(day, now):
        raise DayNotOver(day)
    package = build(day)
    if package["releases"]:
        problems = validation.release_package_errors(package)
        if problems:
            raise InvalidPackage(f"the package of {day} does not validate: {problems[:5]}")
    content = serialise(package)
    try:
        with transaction.atomic():
            row = OcdsDailyPackage.objects.create(
                day=day, content=content, sha256=_digest(content), releases=len(package["releases"])
            )
    except IntegrityError:  # another run wrote it meanwhile: theirs stands
        return OcdsDailyPackage.objects.get(day=day), False
    return row, True


def daily_packages_write_due(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """Write every finished day of the last ``OCDS_DAILY_CATCH_UP_DAYS`` still missing; the days written."""
    last = today(now) - datetime.timedelta(days=1)
    days = [last - datetime.timedelta(days=back) for back in range(conf.get("OCDS_DAILY_CATCH_UP_DAYS"))]
    written = set(OcdsDailyPackage.objects.filter(day__in=days).values_list("day", flat=True))
    done = []
    for day in sorted(set(days) - written):
        try:
            _row, created = daily_package_write(day=day, now=now)
        except InvalidPackage:
            logger.exception("OCDS daily package for %s not written", day)
            continue
        if created:
            done.append(day)
    return done
