"""PostgreSQL: once an index write commits, the search with no words and no filters is computed
for the new index version in the background, once per burst of writes, so its first visitor
reads it from the cache (search/warming.py). Commits are the test's captured commit callbacks
run as a real commit runs them."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from marketplace.core.after_response import AfterResponseMiddleware
from search import warming
from search.backends.database import DatabaseBackend
from search.documents import ListingDocument
from search.query import SearchQuery

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("empty_cache"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the planned search and its cache are PostgreSQL's"),
]

AGGREGATION = "hits AS MATERIALIZED"  # the statement that counts a search's facets


def doc(listing_id, **kwargs):
    defaults = {"title": f"Listing {listing_id}", "category_code": "eia", "category_path": ("eia",)}
    defaults |= {"region_codes": ("610100",), "price": Decimal("5000"), "rating": 4.2, "rating_count": 3}
    return ListingDocument(listing_id=listing_id, **(defaults | kwargs))


def summary(result):
    return (
        result.total,
        [hit.document.listing_id for hit in result.hits],
        {name: [(v.value, v.count) for v in facet.values] for name, facet in result.facets.items()},
    )


def aggregations(queries):
    return sum(AGGREGATION in query["sql"] for query in queries.captured_queries)


def in_request(work):
    """Run ``work`` as a request's view does (tasks eager, the embedded default), then what closing the
    response runs once its last byte is sent (close() itself would also end the test's connection)."""

    def view(request):
        work()
        return HttpResponse("ok")

    response = AfterResponseMiddleware(view)(None)
    for closer in response._resource_closers:
        closer()


@pytest.fixture
def backend(settings):
    settings.SEARCH_BACKEND = "database"
    return DatabaseBackend()


def committed(capture, work):
    def run():
        with capture(execute=True):
            work()

    return run


def test_after_a_write_commits_the_empty_search_needs_no_aggregation(backend, django_capture_on_commit_callbacks):
    docs = [doc(1), doc(2, category_code="surveying", category_path=("surveying",), price=None)]
    in_request(committed(django_capture_on_commit_callbacks, lambda: backend.index(docs)))
    with CaptureQueriesContext(connection) as queries:
        warmed = backend.search(SearchQuery())
    assert aggregations(queries) == 0
    assert not any("GROUP BY" in query["sql"] for query in queries.captured_queries)
    cache.clear()
    assert summary(warmed) == summary(backend.search(SearchQuery()))  # what it would have computed
    assert warmed.total == 2


def test_the_warmed_answer_is_of_the_newest_write(backend, django_capture_on_commit_callbacks):
    in_request(committed(django_capture_on_commit_callbacks, lambda: backend.index([doc(1)])))

    def replace():
        backend.remove([1])
        backend.index([doc(3, category_code="surveying", category_path=("surveying",))])

    in_request(committed(django_capture_on_commit_callbacks, replace))
    with CaptureQueriesContext(connection) as queries:
        result = backend.search(SearchQuery())
    assert aggregations(queries) == 0
    assert [hit.document.listing_id for hit in result.hits] == [3]
    assert [(v.value, v.count) for v in result.facets["category"].values] == [("surveying", 1)]


def test_writes_in_one_transaction_warm_once(backend, django_capture_on_commit_callbacks):
    def writes():
        for n in range(1, 6):
            backend.index([doc(n)])
        backend.remove([5])

    with CaptureQueriesContext(connection) as queries:
        in_request(committed(django_capture_on_commit_callbacks, writes))
    assert aggregations(queries) == 1


def test_a_command_with_tasks_eager_warms_nothing(backend, django_capture_on_commit_callbacks):
    """Outside a request there is no later moment: a command writing listing after listing must not
    compute the empty search after each one. The first search computes it, once."""
    with CaptureQueriesContext(connection) as queries:
        for n in range(1, 4):
            committed(django_capture_on_commit_callbacks, lambda n=n: backend.index([doc(n)]))()
    assert aggregations(queries) == 0
    assert cache.get(warming.WARM_QUEUED_KEY) is None
    assert backend.search(SearchQuery()).total == 3


def test_a_burst_of_committed_writes_in_one_request_warms_once_after_the_response(
    backend, django_capture_on_commit_callbacks
):
    """Five transactions, each writing the index, during one request (the eager default): one
    warm, run by the response's closers, for the last write."""

    def view(request):
        for n in range(1, 6):
            with django_capture_on_commit_callbacks(execute=True):
                backend.index([doc(n)])
        return HttpResponse("ok")

    with CaptureQueriesContext(connection) as queries:
        response = AfterResponseMiddleware(view)(None)
        assert aggregations(queries) == 0  # nothing computed while the visitor waits
        for closer in response._resource_closers:  # what closing the response runs once the last
            closer()  # byte is sent (close() itself would also end the test's connection)
    assert aggregations(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert backend.search(SearchQuery()).total == 5
    assert aggregations(queries) == 0
    assert cache.get(warming.WARM_QUEUED_KEY) is None  # the next write queues a warm again


def test_a_failure_while_warming_breaks_neither_the_write_nor_the_search(
    backend, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    """The database failing under the warm is simulated (it cannot be made to fail here on cue)."""

    def fail(self):
        raise OperationalError("connection lost while warming")

    monkeypatch.setattr(DatabaseBackend, "warm", fail)
    in_request(committed(django_capture_on_commit_callbacks, lambda: backend.index([doc(1), doc(2)])))
    assert "Warming the empty search failed" in caplog.text
    assert backend.count() == 2
    assert backend.search(SearchQuery()).total == 2  # computed by the search itself, as before
    assert cache.get(warming.WARM_QUEUED_KEY) is None


def test_a_failure_to_queue_the_warm_does_not_break_the_write(
    backend, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    """The cache failing is simulated: the write's commit callbacks go on and the write stays."""

    def fail(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(warming.cache, "add", fail)
    in_request(committed(django_capture_on_commit_callbacks, lambda: backend.index([doc(1)])))
    assert backend.count() == 1
    assert backend.search(SearchQuery()).total == 1
