"""The empty search computed after an index write commits, in the background, not by a visitor.

The database backend keeps each answer and each filter-only facet count under the index version
token (``search.backends.database``), and every write to the index makes a new token. The first
search after a write therefore aggregates its hits afresh; for the search with no words and no
filters (the search page opened bare) that is every listing, about 0.3 s on 100,000 listings
(``bench/search.py``). Once a write commits, ``index_committed`` queues ``search.warm_index``,
which asks that search once for the new token, so visitors find it in the cache.

Debounced, so a burst of writes (an import, a credit recompute touching many providers) computes
it once rather than once per write: ``WARM_QUEUED_KEY`` is set from queueing until the task
starts, and writes committed meanwhile queue nothing. The task clears the key before it reads
the token, so a write committed before that is included in what it warms, and one committed after
it queues the next warm: the last write of a burst is always warmed. With a broker the task waits
``WARM_DELAY_SECONDS`` for the burst to end; in the embedded default (tasks eager) it runs after
the response (``marketplace.core.after_response``), so the writes of one request warm once. With
tasks eager and no request (a command, a shell) nothing is warmed: there is no later moment to run
it, and a command writing listing after listing would pay ~0.3 s for each; the first search after
it computes its answer once, as before warming existed.

A failure while queueing or warming is logged and nothing else: the write is committed already
(the backend registers ``index_committed`` as a robust commit callback), and the next search
computes its own answer as it did before.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from marketplace.core import after_response

logger = logging.getLogger(__name__)

WARM_QUEUED_KEY = "search:warm-queued"
# Bounds how long a lost task (a broker restart) can keep later writes from queueing another.
WARM_QUEUED_SECONDS = 300
# With a broker: how long the task waits for a burst of writes to end before it warms.
WARM_DELAY_SECONDS = 2


def index_committed(_version_ids: list[int]) -> None:
    """Queue one warm unless one is queued already; the backend calls this after a write commits."""
    from .tasks import warm_index

    if settings.CELERY_TASK_ALWAYS_EAGER and not after_response.in_request():
        return  # a command or a shell: no later moment to warm in (see above)
    if not cache.add(WARM_QUEUED_KEY, True, WARM_QUEUED_SECONDS):
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        after_response.after_response(warm_index.delay)
    else:
        warm_index.apply_async(countdown=WARM_DELAY_SECONDS)


def warm() -> None:
    """Compute the empty search for the current index version, so no visitor waits for it."""
    from .backends import get_backend

    cache.delete(WARM_QUEUED_KEY)  # first: a write committed from here on queues the next warm
    try:
        get_backend().warm()
    except DatabaseError:
        # Nothing is lost: the first search computes its own answer, as without warming.
        logger.exception("Warming the empty search failed")
