"""Reads from a PostgreSQL read replica where that cannot show a person stale data they caused.

Set ``DATABASE_REPLICA_URL`` and the settings add a ``replica`` database and this router; unset (the
embedded default, the tests), nothing here runs. A read goes to the replica only when all hold:

* it happens while serving a GET or HEAD request (:class:`ReplicaMiddleware` marks the request); a
  Celery task, a command or a POST reads the primary, so a decision taken on what was read (a state
  transition, a payment) never rests on a lagging copy;
* nothing has been written in this request yet: after a write (a GET that marks a thread read, a
  refreshed statistics snapshot) the rest of the request reads the primary;
* the page is not one the page cache may keep (marketplace/core/page_cache.py): a page kept under
  its tables' current tokens must be made from current data, so it is made from the primary (it is
  made once, then served from the cache);
* the browser has not written for ``DATABASE_REPLICA_PIN_SECONDS``: a POST answers with a short
  cookie that sends its follow-up GETs to the primary, so the order just placed is on the page the
  redirect leads to, however far the replica lags.

Every write, and every read for update (``select_for_update``, ``get_or_create``), goes to the
primary. Migrations run on the primary only; the replica follows by replication.
"""

from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
PRIMARY = "default"
PIN_COOKIE = "ow_primary"
SAFE_METHODS = frozenset({"GET", "HEAD"})

# None outside a request; else whether this request may still read the replica.
_may_read_replica: ContextVar[bool | None] = ContextVar("may_read_replica", default=None)


def reading_replica() -> bool:
    return bool(_may_read_replica.get())


def read_primary() -> None:
    """The rest of this request reads the primary (a page about to be kept in the page cache: a copy
    made from a lagging replica would be kept as current)."""
    if _may_read_replica.get():
        _may_read_replica.set(False)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if reading_replica() else PRIMARY

    def db_for_write(self, model, **hints):
        if _may_read_replica.get():
            _may_read_replica.set(False)  # read what this request wrote from where it was written
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one data set, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaMiddleware:
    """Marks which requests may read the replica and pins a writing browser to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        replica_ok = request.method in SAFE_METHODS and PIN_COOKIE not in request.COOKIES
        token = _may_read_replica.set(replica_ok)
        try:
            response = self.get_response(request)
        finally:
            _may_read_replica.reset(token)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
