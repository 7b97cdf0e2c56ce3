"""PostgreSQL: how a search reads. Its planner settings come with the connection; its statement is
prepared, planned once per connection, and survives the rollbacks around it; it opens no
transaction, so it never touches the caller's work; its page's documents are read as plain rows,
and must be the documents the index wrote."""

from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from search.backends.database import DatabaseBackend
from search.backends.database_rows import document_from_entry
from search.documents import ListingDocument
from search.models import ListingIndexEntry
from search.query import SearchQuery

pytestmark = [
    pytest.mark.usefixtures("empty_cache"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL search path"),
]


@pytest.fixture
def backend(settings):
    settings.SEARCH_BACKEND = "database"
    return DatabaseBackend()


def full_document(listing_id: int, **changes) -> ListingDocument:
    """A document with every field the page shows set to something a wrong reader would garble."""
    fields = {
        "listing_id": listing_id,
        "title": f"Topographic survey {listing_id}",
        "title_zh": f"地形测量{listing_id}",
        "description": "Survey work with a certified team.",
        "description_zh": "资质齐全，按期交付。",
        "provider_id": 7,
        "provider_name": "Qinchuan Consulting",
        "provider_name_zh": "秦川咨询有限公司",
        "category_id": 3,
        "category_code": "surveying-sub",
        "category_path": ("surveying", "surveying-sub"),
        "category_name": "Surveying",
        "category_name_zh": "测绘",
        "region_codes": ("610100", "440000"),
        "pricing_mode": "from",
        "price": Decimal("12345.67"),
        "service_days": 21,
        "rating": 4.25,
        "rating_count": 12,
        "certified": False,
        "credit_grade": 4,
        "url": f"/catalogue/listing_{listing_id}/",
        "updated_at": datetime(2026, 11, 30, 8, 15, tzinfo=UTC),
        "extra_terms": ("topographic", "quantity surveying"),
    }
    return ListingDocument(**(fields | changes))


def settings_now() -> dict:
    with connection.cursor() as cursor:
        names = settings.POSTGRES_PLANNER_SETTINGS
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in names))
        return dict(zip(names, cursor.fetchone(), strict=True))


def answer(result) -> tuple:
    return result.total, [(hit.document, round(hit.score, 6)) for hit in result.hits], result.facets


def prepared_plans() -> dict[str, tuple[int, int]]:
    """The search statements prepared on this connection: (generic plans, custom plans) each."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%hits AS MATERIALIZED%'"
        )
        return {statement: (generic, custom) for statement, generic, custom in cursor.fetchall()}


@pytest.mark.django_db
def test_every_connection_carries_the_planner_settings():
    """Given as the connection opens (no statement of their own), so a search needs no round trip
    and no transaction to set them."""
    assert settings_now() == settings.POSTGRES_PLANNER_SETTINGS


@pytest.mark.django_db(transaction=True)
def test_a_search_statement_is_planned_once_per_connection(backend):
    """Other words and values of the same shape reuse the prepared statement's generic plan, also
    after rollbacks on the connection (psycopg then prepares it again) and outside any transaction;
    the answers are the ones the unprepared statement gives."""
    backend.index([full_document(1), full_document(2, title="Cadastral survey", price=Decimal("900"))])
    connection.close()  # a new connection: nothing prepared yet
    asked = [SearchQuery(q=q, price_max=Decimal(m)) for q, m in (("topographic", "20000"), ("cadastral", "30000"))]

    def cold(query):  # asked for the first time on this index: no answer kept
        cache.clear()
        return backend.search(query)

    answers = [cold(query) for query in asked * 2]
    assert [answer.total for answer in answers] == [2, 1, 2, 1]
    plans = prepared_plans()
    assert len(plans) == 1, plans  # one statement for both: the words and the price are parameters
    assert list(plans.values()) == [(4, 0)]  # four searches, planned once, never again
    with transaction.atomic():
        sid = transaction.savepoint()
        cold(asked[0])
        transaction.savepoint_rollback(sid)  # psycopg forgets what it prepared, and says so
        assert answer(cold(asked[1])) == answer(answers[1])
    assert answer(cold(asked[0])) == answer(answers[0])  # and outside the transaction again
    with CaptureQueriesContext(connection):  # statements logged: Django's cursor, nothing prepared
        assert [answer(cold(query)) for query in asked] == [answer(a) for a in answers[:2]]


@pytest.mark.django_db(transaction=True)
def test_a_search_inside_a_transaction_keeps_the_work_done_before_it(backend):
    """A search rolls back only its own savepoint: what the request wrote before it is committed."""
    with transaction.atomic():
        backend.index([full_document(1)])
        assert backend.search(SearchQuery(q="survey")).total == 1
        backend.index([full_document(2)])  # the transaction is still usable after the search
    assert ListingIndexEntry.objects.count() == 2
    assert backend.search(SearchQuery(q="survey")).total == 2


@pytest.mark.django_db
def test_the_page_shows_the_documents_the_index_wrote(backend):
    written = [
        full_document(1),
        full_document(2, price=None, pricing_mode="quote", rating=None, rating_count=0, credit_grade=None),
        full_document(3, region_codes=(), extra_terms=(), updated_at=None, title_zh="", description=""),
    ]
    backend.index(written)
    by_id = {document.listing_id: document for document in written}
    for query in (SearchQuery(), SearchQuery(q="survey"), SearchQuery(q="survey", sort="price_asc")):
        hits = backend.search(query).hits
        assert sorted(hit.document.listing_id for hit in hits) == [1, 2, 3]
        for hit in hits:
            read = hit.document
            assert asdict(read) == asdict(by_id[read.listing_id])
            # and what the model-based reader (SQLite's page) makes of the same row
            entry = ListingIndexEntry.objects.select_related("text").get(listing_id=read.listing_id)
            assert read == document_from_entry(entry)


@pytest.mark.django_db
def test_the_page_keeps_its_order_and_scores(backend):
    backend.index([full_document(n, rating=float(n) / 2, title=f"Survey {n}") for n in range(1, 9)])
    for query in (SearchQuery(q="survey", sort="rating"), SearchQuery(sort="rating"), SearchQuery(q="survey")):
        hits = backend.search(query).hits
        if query.sort == "rating":
            assert [hit.document.listing_id for hit in hits] == list(range(8, 0, -1))
        # best match carries each hit's text score; the other sorts do not rank the text
        assert all((hit.score > 0) == (query.sort == "relevance") for hit in hits)
        backend.index([])  # a write: the next search is computed again, not read from the cache
