"""Backend contract on documents written straight into the index (ratings, certification and
credit come from later parts, so no listing model can carry them yet)."""

from decimal import Decimal

import pytest

from search.backends import get_backend
from search.documents import ListingDocument
from search.query import SearchQuery

pytestmark = pytest.mark.django_db


def doc(listing_id, **kwargs):
    defaults = {"title": f"Listing {listing_id}", "category_code": "eia", "category_path": ("eia",)}
    return ListingDocument(listing_id=listing_id, **(defaults | kwargs))


@pytest.fixture
def indexed(backend_name):
    backend = get_backend()
    backend.index(
        [
            doc(1, rating=4.8, rating_count=300, price=Decimal("100")),
            doc(2, rating=4.2, rating_count=10, certified=False, price=Decimal("200")),
            doc(3, rating=None, price=None, pricing_mode="quote"),
            doc(4, rating=3.1, rating_count=2, price=Decimal("300")),
        ]
    )
    if backend_name == "elasticsearch":
        backend.refresh()
    return backend


def ids(result):
    return [hit.document.listing_id for hit in result.hits]


def test_rating_sort_puts_unrated_last(indexed):
    assert ids(indexed.search(SearchQuery(sort="rating"))) == [1, 2, 4, 3]


def test_rating_and_certified_filters(indexed):
    assert ids(indexed.search(SearchQuery(rating_min=Decimal("4"), sort="rating"))) == [1, 2]
    assert 2 not in ids(indexed.search(SearchQuery(certified=True)))
    assert ids(indexed.search(SearchQuery(certified=False))) == [2]


def test_rating_bands_count_this_or_better(indexed):
    bands = {v.value: v.count for v in indexed.search(SearchQuery()).facets["rating"].values}
    assert bands == {"4.5": 1, "4": 2, "3.5": 2, "3": 3}


def test_reindexing_a_document_replaces_it_and_remove_drops_it(indexed, backend_name):
    indexed.index([doc(1, title="Renamed", rating=4.8)])
    indexed.remove([4, 999])
    if backend_name == "elasticsearch":
        indexed.refresh()
    assert indexed.count() == 3
    assert ids(indexed.search(SearchQuery(q="renamed"))) == [1]


def test_rebuild_replaces_everything(indexed):
    assert indexed.rebuild([doc(10), doc(11)], batch_size=1) == 2
    assert indexed.count() == 2


def test_filter_only_facets_follow_every_index_write(indexed, backend_name):
    """The database backend caches filter-only facet counts per index version: each write
    (index, remove, clear, rebuild) must make the next search count afresh."""

    def counts():
        if backend_name == "elasticsearch":
            indexed.refresh()
        result = indexed.search(SearchQuery(rating_min=Decimal("3")))
        return result.total, {v.value: v.count for v in result.facets["category"].values}

    assert counts() == (3, {"eia": 3})
    assert counts() == (3, {"eia": 3})  # served again, now possibly from the cache
    indexed.index([doc(5, rating=4.0, category_code="surveying", category_path=("surveying",))])
    assert counts() == (4, {"eia": 3, "surveying": 1})
    indexed.remove([1])
    assert counts() == (3, {"eia": 2, "surveying": 1})
    indexed.rebuild([doc(6, rating=5.0)])
    assert counts() == (1, {"eia": 1})
    indexed.clear()
    assert counts() == (0, {})


def test_a_query_page_beyond_the_hits_is_empty_but_keeps_the_facets(indexed):
    result = indexed.search(SearchQuery(q="listing", page=5))
    assert result.hits == () and result.total == 4
    assert {v.value: v.count for v in result.facets["category"].values} == {"eia": 4}
