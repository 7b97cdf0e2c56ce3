"""System checks (``manage.py check``, run before ``migrate`` and by ``runserver``) for settings that
work one by one but not together."""

from django.conf import settings
from django.core import checks

# Caches that live in one process: what one process writes there, no other reads.
PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


@checks.register(checks.Tags.caches)
def workers_share_the_cache(app_configs=None, **kwargs):
    """With a broker, Celery workers write what web processes read from the cache: the page cache's
    table tokens (a task's writes retire pages) and the unread badges (notifications are delivered by a
    task). A cache of the process's own shows none of it to the web processes until entries expire."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.CELERY_TASK_ALWAYS_EAGER or backend not in PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            "Celery has a broker, but the default cache is kept in each process, so web processes do not "
            "see what workers write there: pages and unread badges stay stale until their entries expire.",
            hint="Set CACHE_URL to a cache every process shares, e.g. redis://host:6379/1.",
            id="core.W001",
        )
    ]
