"""PostgreSQL: the search with no words and no filters reads the whole index's facets from counts the
database keeps as the index is written (migration 0007's triggers), so its first visitor after a
change no longer aggregates every listing. The expected facets are counted here from the documents
the test wrote, never read back from the tables the triggers keep."""

import random
import threading
from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from search.backends.database import DatabaseBackend
from search.backends.database_rows import price_band
from search.documents import ListingDocument
from search.query import PRICE_BANDS, QUOTE_BAND, RATING_BANDS, SearchQuery

pytestmark = [
    pytest.mark.usefixtures("empty_cache"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the counted facets are PostgreSQL's"),
]

AGGREGATION = "hits AS MATERIALIZED"  # the statement that aggregates a search's hits
# (code, path): eia-form is an item under eia; deep is two levels under cost
CATEGORIES = (
    ("eia", ("eia",)),
    ("eia-form", ("eia", "eia-form")),
    ("surveying", ("surveying",)),
    ("cost", ("cost",)),
    ("deep", ("cost", "cost-mid", "deep")),
)
REGIONS = ("610100", "610000", "440100", "440300", "110000", "510100")
PRICES = (None, Decimal("800"), Decimal("5000"), Decimal("19999.99"), Decimal("20000"), Decimal("150000"))
RATINGS = (None, 2.9, 3.0, 3.5, 3.99, 4.0, 4.49, 4.5, 5.0)


def seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - test data, the same every run


def doc(listing_id, rng: random.Random) -> ListingDocument:
    category, path = rng.choice(CATEGORIES)
    return ListingDocument(
        listing_id=listing_id,
        title=f"Listing {listing_id}",
        category_code=category,
        category_path=path,
        category_name=category.title(),
        category_name_zh=f"{category}中文",
        region_codes=tuple(rng.sample(REGIONS, rng.randint(0, 3))),
        price=rng.choice(PRICES),
        rating=rng.choice(RATINGS),
        service_days=10,
    )


def expected(docs) -> dict:
    """The facets of ``docs`` as a buyer reads them, counted from the documents themselves."""
    docs = list(docs)
    price_keys = [key for key, _low, _high in PRICE_BANDS] + [QUOTE_BAND]
    prices = Counter(price_keys[price_band(d.price)] for d in docs)
    return {
        "total": len(docs),
        "category": dict(Counter(d.category_code for d in docs)),
        "region": dict(Counter(province for d in docs for province in d.province_codes)),
        "price": dict(prices),
        "rating": {
            str(band): n
            for band in RATING_BANDS
            if (n := sum(1 for d in docs if d.rating is not None and d.rating >= band))
        },
    }


def facets(result) -> dict:
    return {"total": result.total} | {
        name: {value.value: value.count for value in facet.values} for name, facet in result.facets.items()
    }


@pytest.fixture
def backend(settings):
    settings.SEARCH_BACKEND = "database"
    return DatabaseBackend()


@pytest.mark.django_db
def test_the_bare_search_counts_every_write_without_aggregating(backend):
    rng = seeded(22)
    docs = {n: doc(n, rng) for n in range(1, 41)}
    backend.index(docs.values())
    for step in range(12):
        if step % 3 == 2:  # a removal
            gone = rng.sample(sorted(docs), 3)
            backend.remove(gone)
            for n in gone:
                del docs[n]
        else:  # rewrites (another item, price, rating, regions) and new listings
            changed = [doc(n, rng) for n in rng.sample(sorted(docs), 4)] + [doc(100 + step, rng)]
            backend.index(changed)
            docs |= {d.listing_id: d for d in changed}
        with CaptureQueriesContext(connection) as queries:
            result = backend.search(SearchQuery())
            of_eia = backend.search(SearchQuery(category="eia"))  # the item and the one under it
        assert facets(result) == expected(docs.values()), f"after step {step}"
        assert facets(of_eia) == expected(d for d in docs.values() if d.category_path[0] == "eia"), f"after {step}"
        assert not any(AGGREGATION in query["sql"] for query in queries.captured_queries)
    backend.clear()
    assert facets(backend.search(SearchQuery())) == {
        "total": 0,
        "category": {},
        "region": {},
        "price": {},
        "rating": {},
    }


@pytest.mark.django_db
# the service item filter as the PostgreSQL search matches it: at any depth, with or without hyphens
@pytest.mark.parametrize("category", ["", "eia", "eia-form", "eiaform", "eia-", "cost-mid", "surveying", "none-such"])
@pytest.mark.parametrize("sort", ["relevance", "price_asc"])
def test_counted_facets_agree_with_the_aggregated_search(backend, category, sort):
    """The same facets, names, order and page as the general path gives for a filter every listing
    passes (certified), however each is computed."""
    rng = seeded(7)
    backend.index(doc(n, rng) for n in range(1, 61))
    counted = backend.search(SearchQuery(language="zh", category=category, sort=sort, page=2, page_size=10))
    aggregated = backend.search(
        SearchQuery(language="zh", category=category, sort=sort, page=2, page_size=10, certified=True)
    )
    assert counted.total == aggregated.total
    assert counted.facets == aggregated.facets  # values, counts, their order and the Chinese names
    assert [hit.document.listing_id for hit in counted.hits] == [hit.document.listing_id for hit in aggregated.hits]
    if not category:
        assert counted.total == 60
        labels = {value.label for value in counted.facets["category"].values}
        assert labels == {f"{code}中文" for code, _path in CATEGORIES}


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_the_counts(backend):
    rng = seeded(3)
    docs = [doc(n, rng) for n in range(1, 11)]
    backend.index(docs)
    with pytest.raises(RuntimeError), transaction.atomic():
        backend.index([doc(n, rng) for n in range(11, 21)])
        backend.remove([1, 2, 3])
        raise RuntimeError("the request failed after writing the index")
    assert facets(backend.search(SearchQuery())) == expected(docs)


@pytest.mark.django_db
def test_writes_past_the_backend_keep_the_counts(backend):
    """A data fix in SQL, not through the backend, moves the counts as well: the database keeps them."""
    rng = seeded(11)
    docs = {n: doc(n, rng) for n in range(1, 21)}
    backend.index(docs.values())
    asked = SearchQuery(q="listing")  # a text search, its answer cached under the index version
    assert facets(backend.search(asked)) == expected(docs.values())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_listingindexentry SET category_code = 'eia', province_codes = '610000'"
            " WHERE listing_id IN (1, 2, 3)"
        )
        cursor.execute("UPDATE search_listingindexentry SET rating = NULL WHERE listing_id IN (6, 7)")
        cursor.execute("UPDATE search_listingindexentry SET rating = 4.5 WHERE listing_id = 8")
        gone = "SELECT id FROM search_listingindexentry WHERE listing_id IN (4, 5)"
        cursor.execute(f"DELETE FROM search_listingindextext WHERE entry_id IN ({gone})")  # noqa: S608
        cursor.execute("DELETE FROM search_listingindexentry WHERE listing_id IN (4, 5)")
    for n in (1, 2, 3):
        docs[n] = replace(docs[n], category_code="eia", category_path=("eia",), region_codes=("610100",))
    docs |= {6: replace(docs[6], rating=None), 7: replace(docs[7], rating=None), 8: replace(docs[8], rating=4.5)}
    del docs[4], docs[5]
    assert facets(backend.search(SearchQuery())) == expected(docs.values())
    assert facets(backend.search(asked)) == expected(docs.values())  # not the answer cached before the fix
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction holds deferred checks
        cursor.execute("TRUNCATE search_listingindexentry CASCADE")
    assert facets(backend.search(SearchQuery()))["category"] == {}


@pytest.mark.django_db(transaction=True)
def test_two_first_writers_at_once_both_commit_and_count(backend):
    """Two index writes at once (two connections) on an index never written before: both commit
    (they used to collide creating the index version row) and each counts once. The version row's
    lock makes the two take turns, so this does not run the triggers side by side."""
    rng = seeded(5)
    first = [doc(n, rng) for n in range(1, 26)]
    second = [doc(n, rng) for n in range(26, 51)]
    barrier = threading.Barrier(2)
    errors = []

    def write(docs):
        try:
            barrier.wait(timeout=10)
            DatabaseBackend().index(docs)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(docs,)) for docs in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert facets(backend.search(SearchQuery())) == expected(first + second)


def _table_state(table: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.vacuum_count, s.analyze_count FROM pg_class c"
            " JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = %s",
            [table],
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_settles_the_tables_after_it_commits(backend):
    """A rebuild ends with ``VACUUM (ANALYZE)`` of the index's tables once committed (the GIN
    pending list merged, the count triggers' dead rows cleared, the planner told the new sizes),
    so searches after it do not wait for autovacuum (which some servers run without). Inside a
    transaction, where VACUUM cannot run, it is skipped, and the rebuild still commits."""
    rng = seeded(8)
    docs = [doc(n, rng) for n in range(1, 41)]
    before = {table: _table_state(table) for table in ("search_listingindexentry", "search_categoryfacetcount")}
    assert backend.rebuild(docs) == 40
    for table, (_tuples, vacuumed, analyzed) in before.items():
        tuples, vacuumed_after, analyzed_after = _table_state(table)
        assert (vacuumed_after, analyzed_after) == (vacuumed + 1, analyzed + 1), table
    assert _table_state("search_listingindexentry")[0] == 40  # the planner's row count, from ANALYZE
    assert facets(backend.search(SearchQuery())) == expected(docs)

    with transaction.atomic():
        assert backend.settle() is False  # VACUUM cannot run in a transaction: skipped, no error
        assert backend.rebuild(docs[:10]) == 10
    assert backend.count() == 10
