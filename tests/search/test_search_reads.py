"""PostgreSQL: how a search reads. It sets planner settings for itself and rolls its own transaction
(or savepoint) back, so neither the settings nor the rollback reach the caller's work; its page's
documents are read as plain rows, and must be the documents the index wrote."""

from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction

from search.backends.database import PLANNER_SETTINGS, DatabaseBackend
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
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in PLANNER_SETTINGS))
        return dict(zip(PLANNER_SETTINGS, cursor.fetchone(), strict=True))


@pytest.mark.django_db(transaction=True)
def test_a_search_leaves_the_planner_settings_as_it_found_them(backend):
    backend.index([full_document(1)])
    before = settings_now()
    assert before != PLANNER_SETTINGS  # else this test could not tell
    backend.search(SearchQuery(q="survey"))  # outside any transaction: its own, rolled back
    assert settings_now() == before
    with transaction.atomic():  # inside a request's transaction: its savepoint, rolled back
        backend.search(SearchQuery(q="survey"))
        backend.search(SearchQuery())
        assert settings_now() == before


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
