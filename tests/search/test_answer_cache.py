"""PostgreSQL: a search asked again on an unchanged index is answered from the cache, and any write
to the index retires every cached answer (search/backends/database.py, ``_answer_key``)."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from search.backends.database import DatabaseBackend
from search.query import parse_search_params

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("empty_cache"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the planned search and its cache are PostgreSQL's"),
]


def ask(**params):
    return DatabaseBackend().search(parse_search_params(QueryDict(mutable=True) | params)[0])


def summary(result):
    return (
        result.total,
        [hit.document.listing_id for hit in result.hits],
        {name: [(v.value, v.count) for v in facet.values] for name, facet in result.facets.items()},
    )


def test_the_same_search_again_is_the_same_answer_from_the_cache(listing):
    listing(title="Topographic survey", category="surveying", regions=("610100", "440100"), price=8000)
    listing(title="Cadastral survey", category="surveying", regions=("440100",), price=30000)
    listing(title="Groundwater EIA report", category="eia")
    first = ask(q="survey")
    with CaptureQueriesContext(connection) as queries:
        again = ask(q="survey")
    assert summary(again) == summary(first)
    assert first.total == 2
    # the index version and the page's rows: no match is run again
    assert not any("@@" in query["sql"] for query in queries.captured_queries)
    provinces = dict((v.value, v.count) for v in first.facets["region"].values)
    assert provinces == {"440000": 2, "610000": 1}  # a listing serving two provinces counts in each


def test_a_change_to_the_index_retires_the_cached_answer(listing):
    listing(title="Topographic survey", category="surveying")
    assert ask(q="survey").total == 1
    listing(title="Cadastral survey", category="surveying")
    fresh = ask(q="survey")
    assert fresh.total == 2
    assert sorted(hit.document.title for hit in fresh.hits) == ["Cadastral survey", "Topographic survey"]


def test_each_page_sort_and_filter_is_its_own_answer(listing):
    for n, price in enumerate((5000, 9000, 20000)):
        listing(title=f"Topographic survey {n}", category="surveying", price=price)
    cheap_first = ask(q="survey", sort="price_asc")
    dear_first = ask(q="survey", sort="price_desc")
    assert [h.document.price for h in cheap_first.hits] == sorted(h.document.price for h in cheap_first.hits)
    assert [h.document.listing_id for h in dear_first.hits] == [h.document.listing_id for h in cheap_first.hits][::-1]
    assert ask(q="survey", price_max="10000").total == 2
    assert ask(q="survey").total == 3


@pytest.mark.parametrize("params", [{}, {"category": "surveying"}, {"category": "surveying", "sort": "price_asc"}])
def test_the_bare_search_and_a_service_item_again_are_answered_from_the_cache(listing, params):
    """Their facets come from counts the database keeps; asked again on an unchanged index, not even
    those are read, and a write retires the answer like any other."""
    listing(title="Topographic survey", category="surveying", regions=("610100",), price=8000)
    listing(title="Groundwater EIA report", category="eia", price=3000)
    first = ask(**params)
    with CaptureQueriesContext(connection) as queries:
        again = ask(**params)
    assert summary(again) == summary(first)
    assert not any("facetcount" in query["sql"] for query in queries.captured_queries)
    assert not any("grade_tier" in query["sql"] for query in queries.captured_queries)  # nor the page's order
    listing(title="Cadastral survey", category="surveying", regions=("440100",), price=4000)
    fresh = ask(**params)
    assert fresh.total == first.total + 1
    assert "Cadastral survey" in [hit.document.title for hit in fresh.hits]
    assert dict((v.value, v.count) for v in fresh.facets["region"].values)["440000"] == 1
