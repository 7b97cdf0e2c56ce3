"""The read replica (DATABASE_REPLICA_URL): which reads of which request may go there.

These check the router's decisions in process; test_replica_lag.py runs the site against a real
lagging replica on PostgreSQL.
"""

from django.http import HttpResponse
from django.test import RequestFactory

from marketplace.approvals.models import ApprovalMatter
from marketplace.core.replicas import PIN_COOKIE, PRIMARY, REPLICA, ReplicaMiddleware, ReplicaRouter

router = ReplicaRouter()


def serve(method: str, *, cookies=None, writes=False) -> tuple[list[str], HttpResponse]:
    """Where the reads of one request went: one read before and (if ``writes``) one after a write."""
    seen = []

    def view(request):
        seen.append(router.db_for_read(ApprovalMatter))
        if writes:
            router.db_for_write(ApprovalMatter)
            seen.append(router.db_for_read(ApprovalMatter))
        return HttpResponse("ok")

    request = getattr(RequestFactory(), method.lower())("/")
    request.COOKIES.update(cookies or {})
    return seen, ReplicaMiddleware(view)(request)


def test_a_page_view_reads_the_replica_and_sets_no_cookie():
    seen, response = serve("GET")
    assert seen == [REPLICA]
    assert PIN_COOKIE not in response.cookies


def test_reads_after_a_write_in_the_same_request_go_to_the_primary():
    seen, _ = serve("GET", writes=True)
    assert seen == [REPLICA, PRIMARY]


def test_a_form_post_reads_the_primary_and_pins_the_browser_to_it(settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 7
    seen, response = serve("POST")
    assert seen == [PRIMARY]
    assert response.cookies[PIN_COOKIE]["max-age"] == 7
    assert response.cookies[PIN_COOKIE]["httponly"]
    seen, _ = serve("GET", cookies={PIN_COOKIE: "1"})
    assert seen == [PRIMARY]


def test_outside_a_request_everything_reads_the_primary():
    """A Celery task or a command: decisions there must rest on the primary."""
    assert router.db_for_read(ApprovalMatter) == PRIMARY
    assert router.db_for_write(ApprovalMatter) == PRIMARY
    assert router.db_for_read(ApprovalMatter) == PRIMARY


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate(PRIMARY, "approvals")
    assert not router.allow_migrate(REPLICA, "approvals")


def test_a_page_the_page_cache_may_keep_is_made_from_the_primary(settings):
    """Kept under its tables' current tokens, it must be made from current data: a lagging replica's
    copy would be served as current until the next write."""
    from marketplace.core.page_cache import PageCacheMiddleware

    settings.PAGE_CACHE_SECONDS = 60
    seen = []

    def view(request):
        seen.append(router.db_for_read(ApprovalMatter))
        return HttpResponse("ok")

    ReplicaMiddleware(PageCacheMiddleware(view))(RequestFactory().get("/kept/"))
    assert seen == [PRIMARY]
    settings.PAGE_CACHE_SECONDS = 0
    ReplicaMiddleware(PageCacheMiddleware(view))(RequestFactory().get("/kept/"))
    assert seen == [PRIMARY, REPLICA]
