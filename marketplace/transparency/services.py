"""Refreshing the statistics snapshot (the one state change of the statistics pages)."""

import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import selectors
from .models import StatsSnapshot

CACHE_KEY = "transparency:stats-snapshot"
CACHE_SECONDS = 60 * 60
KEEP_SNAPSHOTS = 3


def stats_snapshot_refresh(*, now: datetime.datetime | None = None) -> StatsSnapshot:
    """Compute the statistics, store them as the newest snapshot and put them in the cache.

    ``now`` places the twelve-month window (tests pass a fixed date); ``computed_at`` is always
    the real time of the computation.
    """
    data = selectors.compute(now=now)
    with transaction.atomic():
        snapshot = StatsSnapshot.objects.create(computed_at=timezone.now(), data=data)
        stale = StatsSnapshot.objects.order_by("-computed_at", "-pk").values_list("pk", flat=True)[KEEP_SNAPSHOTS:]
        StatsSnapshot.objects.filter(pk__in=list(stale)).delete()
    transaction.on_commit(lambda: cache.set(CACHE_KEY, (snapshot.computed_at, data), CACHE_SECONDS))
    return snapshot


# A snapshot older than this is recomputed on the next visit: it keeps the page honest where no
# beat scheduler runs (the embedded default), and costs nothing where one does.
MAX_AGE = datetime.timedelta(hours=6)


def stats_snapshot_current() -> tuple[datetime.datetime, dict]:
    """(computed_at, data) of the newest snapshot: the cache, else the database, else computed now."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    snapshot = StatsSnapshot.objects.order_by("-computed_at", "-pk").first()
    if snapshot is None or snapshot.computed_at < timezone.now() - MAX_AGE:
        snapshot = stats_snapshot_refresh()
    cache.set(CACHE_KEY, (snapshot.computed_at, snapshot.data), CACHE_SECONDS)
    return snapshot.computed_at, snapshot.data
