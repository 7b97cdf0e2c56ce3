"""Refreshing the statistics snapshot (the one state change of the statistics pages)."""

import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from marketplace.core import after_response, table_versions

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


# A snapshot older than this is recomputed after the next visit's response (that visitor sees the
# last figures, the following ones the new): it keeps the page honest where no beat scheduler runs
# (the embedded default), costs nothing where one does, and no visitor waits for the computation.
MAX_AGE = datetime.timedelta(hours=6)
REFRESHING_KEY = "transparency:stats-refreshing"


def _refresh_once() -> None:
    try:
        stats_snapshot_refresh()
    finally:
        cache.delete(REFRESHING_KEY)


def stats_snapshot_current() -> tuple[datetime.datetime, dict]:
    """(computed_at, data) of the newest snapshot: the cache, else the database, else computed now."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        table_versions.note_read(StatsSnapshot)
        return cached
    snapshot = StatsSnapshot.objects.order_by("-computed_at", "-pk").first()
    if snapshot is None:
        snapshot = stats_snapshot_refresh()  # the very first visit: there is nothing older to show
    elif snapshot.computed_at < timezone.now() - MAX_AGE and cache.add(REFRESHING_KEY, True, 300):
        after_response.after_response(_refresh_once)
    cache.set(CACHE_KEY, (snapshot.computed_at, snapshot.data), CACHE_SECONDS)
    return snapshot.computed_at, snapshot.data
