"""Whole service items read from kept counts (``search.backends.database_cover``, migration 0008).

A search whose words every listing of a service item matches takes that item's facets from the
counts the database keeps and its page candidates from an index, instead of matching its rows.
The answer must be the one the row-by-row match gives, for every filter, sort and page, after
any write: the tests here compare the two paths on the same index (the row path is the one the
behaviour suite checks against the documents), check which items are taken whole, and check the
kept counts against counts made here from the documents."""

import random
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from hypothesis import example, given, settings
from hypothesis import strategies as st

from search.backends import database_cover
from search.backends.database import DatabaseBackend
from search.backends.database_rows import price_band, vector_literal
from search.documents import ListingDocument
from search.models import ItemTokenCount, ProvinceBandCount
from search.query import RATING_BANDS, SearchQuery
from tests.search.test_counted_facets import CATEGORIES, PRICES, RATINGS, REGIONS

POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept counts are PostgreSQL's")

# The service items, regions, prices and ratings are test_counted_facets' (eia-form lies under eia,
# deep two levels under cost); titles add some of these words.
WORDS = ("gold", "express", "水土保持", "survey")
# Words every listing of some items carries (their service item's name), some, or none.
ASKED = ("eia", "eia form", "cost", "deep", "listing", "surveying", "survey", "gold", "eia gold", "中文", "水土")
FILTERS = (
    {},
    {"price_max": Decimal("20000")},
    {"price_max": Decimal("19999.99")},
    {"price_min": Decimal("5000"), "price_max": Decimal("100000")},
    {"price_min": Decimal("801")},
    {"rating_min": Decimal("4")},
    {"rating_min": Decimal("4.2")},
    {"rating_min": Decimal("0")},
    {"rating_min": Decimal("3"), "price_max": Decimal("5000")},
    {"category": "eia"},
    {"category": "cost", "price_min": Decimal("5000")},
)
SORTS = ("relevance", "price_asc", "price_desc", "rating", "service_days")


def doc(listing_id: int, rng: random.Random, **changes) -> ListingDocument:
    category, path = rng.choice(CATEGORIES)
    fields = {
        "listing_id": listing_id,
        "title": f"Listing {listing_id} " + " ".join(rng.sample(WORDS, rng.randint(0, 2))),
        "category_code": category,
        "category_path": path,
        "category_name": category.title(),
        "category_name_zh": f"{category}中文",
        "region_codes": tuple(rng.sample(REGIONS, rng.randint(0, 3))),
        "price": rng.choice(PRICES),
        "rating": rng.choice(RATINGS),
        "rating_count": rng.randint(0, 3),
        "service_days": rng.choice((None, 5, 10, 30)),
        "credit_grade": rng.choice((None, 1, 3, 5)),
    }
    return ListingDocument(**(fields | changes))


def answer(result) -> tuple:
    return (
        result.total,
        result.facets,
        [(hit.document.listing_id, round(hit.score, 6)) for hit in result.hits],
    )


def cold(backend, query):
    """The search as asked first: no answer kept in the cache from another path."""
    cache.clear()
    return backend.search(query)


def by_rows(backend, query, monkeypatch):
    """The same search matched row by row: the path every search took before migration 0008."""
    with monkeypatch.context() as patched:
        patched.setattr(database_cover, "applies", lambda query: False)
        return cold(backend, query)


def excluded(query: SearchQuery) -> set[str]:
    """The service item tokens the search takes whole."""
    sql, params = database_cover.cover_sql(DatabaseBackend()._match_tsquery(query))
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {sql} dummy AS (SELECT 1) SELECT token FROM excluding", params)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def kept(query: SearchQuery) -> tuple[str, str | None]:
    """The row match's tsquery for the items not taken whole, and the item tokens it leaves out."""
    sql, params = database_cover.cover_sql(DatabaseBackend()._match_tsquery(query))
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {sql} dummy AS (SELECT 1) SELECT match::text, excluded::text FROM kept", params)  # noqa: S608
        return cursor.fetchone()


@pytest.fixture
def backend(settings):
    settings.SEARCH_BACKEND = "database"
    return DatabaseBackend()


@POSTGRES
@pytest.mark.django_db
@pytest.mark.usefixtures("empty_cache")
def test_whole_items_give_the_answer_the_row_match_gives(backend, monkeypatch):
    """Searches over random listings, filters, sorts and pages, before and after writes that make
    items whole or break them: the counted path and the row path agree on total, every facet,
    the page and its scores; and some searches did take items whole (the test is not vacuous)."""
    rng = random.Random(2208)  # noqa: S311 - test data, the same every run
    docs = {n: doc(n, rng) for n in range(1, 121)}
    backend.index(docs.values())
    took_whole = 0
    for step in range(4):
        for _ in range(45):
            filters = rng.choice(FILTERS)
            query = SearchQuery(
                q=rng.choice(ASKED),
                sort=rng.choice(SORTS),
                page=rng.choice((1, 1, 2, 4)),
                page_size=rng.choice((5, 20)),
                language=rng.choice(("en", "zh")),
                **filters,
            )
            assert database_cover.applies(query)
            took_whole += bool(excluded(query))
            assert answer(cold(backend, query)) == answer(by_rows(backend, query, monkeypatch)), (step, query)
        # Writes between rounds: retitled and moved listings, new ones, removals.
        changed = [doc(n, rng) for n in rng.sample(sorted(docs), 10)] + [doc(200 + step, rng)]
        if step == 1:  # an eia listing not named Eia: eia is whole only for a search naming the item
            changed.append(doc(300, rng, category_code="eia", category_path=("eia",), category_name="Impact"))
        backend.index(changed)
        docs |= {d.listing_id: d for d in changed}
        gone = rng.sample(sorted(docs), 3)
        backend.remove(gone)
    assert took_whole >= 60


@POSTGRES
@pytest.mark.django_db
def test_an_item_is_taken_whole_only_when_every_listing_under_it_matches(backend):
    rng = random.Random(4)  # noqa: S311
    backend.index(doc(n, rng) for n in range(1, 41))
    # Every eia and eia-form listing is named "Eia..." (and carries cateia): both whole.
    assert excluded(SearchQuery(q="eia")) == {"cateia", "cateiaform"}
    assert excluded(SearchQuery(q="form")) == {"cateiaform"}
    # "eia" names the service item, so with more words the item's listings match as a whole too.
    assert excluded(SearchQuery(q="eia gold")) == {"cateia", "cateiaform"}
    # surveying's names hold "surveying", which the prefix survey:* matches.
    assert excluded(SearchQuery(q="survey")) == {"catsurveying"}
    # cost's listings are named Cost, but deep's, under cost, are not: cost's token would drop
    # them from the match, so cost is not taken whole; filtered to cost, both are.
    assert excluded(SearchQuery(q="cost")) == set()
    assert excluded(SearchQuery(q="listing", category="cost")) == {"catcost", "catdeep"}
    assert excluded(SearchQuery(q="deep")) == {"catdeep"}
    assert excluded(SearchQuery(q="gold")) == set()  # in some titles only
    assert excluded(SearchQuery(q="eia", category="cost")) == set()
    # Every eia listing says "alpha", and so does every eia-form listing but one: eia-form is not
    # whole, and neither is eia, whose token the eia-form listings carry too.
    backend.clear()
    eia, form = {"category_code": "eia", "category_path": ("eia",)}, {"category_code": "eia-form"}
    form["category_path"] = ("eia", "eia-form")
    backend.index([doc(n, rng, title="alpha", **(eia if n % 2 else form)) for n in range(1, 9)])
    assert excluded(SearchQuery(q="alpha")) == {"cateia", "cateiaform"}
    backend.index([doc(99, rng, title="beta", **form)])
    assert excluded(SearchQuery(q="alpha")) == set()
    assert excluded(SearchQuery(q="eia")) == {"cateia", "cateiaform"}  # named: every listing of it matches
    backend.remove([99])
    assert excluded(SearchQuery(q="alpha")) == {"cateia", "cateiaform"}
    # A listing with no service item is never taken whole: its token "cat" is no item's.
    backend.index([doc(98, rng, category_code="", category_path=(), title="Listing eia")])
    assert "cat" not in excluded(SearchQuery(q="listing"))


def expected_tokens(docs, weights=None) -> Counter:
    """(code, path, token) -> listings, for every token of the documents' vectors (migration 0009),
    or for those of ``weights`` (migration 0008: "AB")."""
    counted = Counter()
    for d in docs:
        path = "/" + "".join(f"{code}/" for code in d.category_path)
        for entry in vector_literal(d).split():
            token, _, position = entry.partition(":")  # "token:1A", or "token" for D and region tokens
            if weights is None or (position and position[-1] in weights):
                counted[(d.category_code, path, token)] += 1
    return counted


def kept_tokens() -> Counter:
    return Counter({(row.category_code, row.category_path, row.token): row.n for row in ItemTokenCount.objects.all()})


def kept_bands() -> Counter:
    return Counter(
        {
            (row.category_code, row.category_path, row.price_band, row.rating_band, row.province_code): row.n
            for row in ProvinceBandCount.objects.all()
        }
    )


def expected_bands(docs) -> Counter:
    counted = Counter()
    for d in docs:
        path = "/" + "".join(f"{code}/" for code in d.category_path)
        rated = sum(1 for band in RATING_BANDS if d.rating is not None and d.rating >= band)
        for province in d.province_codes:
            counted[(d.category_code, path, price_band(d.price), rated, province)] += 1
    return counted


@POSTGRES
@pytest.mark.django_db
def test_the_kept_token_and_band_counts_follow_every_write(backend):
    """Counted here from the documents, never read back from what the triggers keep."""
    rng = random.Random(31)  # noqa: S311
    docs = {n: doc(n, rng) for n in range(1, 31)}
    backend.index(docs.values())
    for step in range(6):
        if step % 2:
            gone = rng.sample(sorted(docs), 4)
            backend.remove(gone)
            for n in gone:
                del docs[n]
        else:
            changed = [doc(n, rng) for n in rng.sample(sorted(docs), 5)] + [doc(100 + step, rng)]
            backend.index(changed)
            docs |= {d.listing_id: d for d in changed}
        assert kept_tokens() == expected_tokens(docs.values()), step
        assert kept_bands() == expected_bands(docs.values()), step
    # A write that fails after writing the index leaves the counts as they were.
    with pytest.raises(RuntimeError), transaction.atomic():
        backend.index([doc(n, rng) for n in rng.sample(sorted(docs), 5)] + [doc(500, rng)])
        backend.remove(rng.sample(sorted(docs), 3))
        raise RuntimeError("the request failed after writing the index")
    assert kept_tokens() == expected_tokens(docs.values())
    assert kept_bands() == expected_bands(docs.values())
    backend.clear()
    assert not ItemTokenCount.objects.exists()
    assert not ProvinceBandCount.objects.exists()


def _passes(query: SearchQuery, price, rating) -> bool:
    return (
        (query.price_min is None or (price is not None and price >= query.price_min))
        and (query.price_max is None or (price is not None and price <= query.price_max))
        and (query.rating_min is None or (rating is not None and rating >= float(query.rating_min)))
    )


PRICE = st.one_of(
    st.none(),
    st.sampled_from(PRICES[1:] + (Decimal("50000"), Decimal("100000"), Decimal("0"))),
    st.decimals(min_value=0, max_value=300000, places=2),
)
RATING = st.one_of(st.none(), st.sampled_from(RATINGS[1:]), st.floats(min_value=0, max_value=5))


@given(
    price=PRICE,
    rating=RATING,
    price_min=PRICE,
    price_max=PRICE,
    rating_min=st.one_of(st.none(), st.sampled_from(RATING_BANDS), st.decimals(min_value=0, max_value=5, places=1)),
)
# Edges: a price at a band's edge and a maximum just under it; a rating at a band's edge.
@example(price=Decimal("20000"), rating=None, price_min=None, price_max=Decimal("20000"), rating_min=None)
@example(price=Decimal("19999.70"), rating=None, price_min=None, price_max=Decimal("19999.50"), rating_min=None)
@example(price=Decimal("5000"), rating=None, price_min=Decimal("5000"), price_max=None, rating_min=None)
@example(price=None, rating=4.0, price_min=None, price_max=None, rating_min=Decimal("4"))
@example(price=None, rating=4.1, price_min=None, price_max=None, rating_min=Decimal("4.2"))
@example(price=None, rating=None, price_min=None, price_max=None, rating_min=Decimal("0"))
@settings(max_examples=400, deadline=None)
def test_the_bands_taken_whole_and_the_ranges_cut_split_every_filter_exactly(
    price, rating, price_min, price_max, rating_min
):
    """A listing passes the price and rating filters exactly when its bands are taken whole, or it
    lies in a cut range and passes (then it is read row by row); taken whole means every listing
    of those bands passes. No listing is counted twice."""
    query = SearchQuery(q="x", price_min=price_min, price_max=price_max, rating_min=rating_min)
    split = database_cover.bands(query)
    rated = sum(1 for band in RATING_BANDS if rating is not None and rating >= float(band))
    whole = price_band(price) in split.prices and rated in split.ratings
    values = {"price": price, "rating": rating}
    cut = any(
        values[column] is not None
        and (low is None or values[column] >= low)
        and (high is None or values[column] < high)
        for column, low, high in split.cuts
    )
    passes = _passes(query, price, rating)
    assert passes == (whole or (cut and passes))
    assert not (whole and cut)
    if whole:
        assert passes


@POSTGRES
@pytest.mark.django_db(transaction=True)
def test_migrations_0008_and_0009_count_the_listings_already_indexed(backend):
    """Listings indexed before migration 0008 (and under 0007's triggers) are counted by it, and
    going back to 0007 and forward again leaves the counts right; back to 0008, the token counts
    are its title and service item ones again, and forward to 0009 every token's."""
    rng = random.Random(80)  # noqa: S311
    docs = {n: doc(n, rng) for n in range(1, 31)}
    backend.index(docs.values())
    executor = MigrationExecutor(connection)
    executor.migrate([("search", "0007_counted_facets")])
    older = [doc(n, rng) for n in range(31, 51)]  # written under 0007's triggers
    backend.index(older)
    docs |= {d.listing_id: d for d in older}
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert kept_tokens() == expected_tokens(docs.values())
    assert kept_bands() == expected_bands(docs.values())
    query = SearchQuery(q="eia", price_max=Decimal("20000"))
    assert excluded(query) == {"cateia", "cateiaform"}
    cache.clear()
    assert backend.search(query).total == sum(
        1 for d in docs.values() if d.category_path[0] == "eia" and d.price is not None and d.price <= 20000
    )
    executor = MigrationExecutor(connection)
    executor.migrate([("search", "0008_item_token_counts")])
    assert kept_tokens() == expected_tokens(docs.values(), weights="AB")
    later = [doc(n, rng) for n in range(51, 61)]  # written under 0008's triggers
    backend.index(later)
    docs |= {d.listing_id: d for d in later}
    assert kept_tokens() == expected_tokens(docs.values(), weights="AB")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert kept_tokens() == expected_tokens(docs.values())
    backend.clear()


@POSTGRES
@pytest.mark.django_db
@pytest.mark.usefixtures("empty_cache")
def test_the_row_match_leaves_out_the_words_only_whole_items_carry(backend, monkeypatch):
    """``survey:*`` matches ``survey`` and ``surveying``; every surveying listing carries
    ``surveying`` (its service item's name), and so does every cost listing (a synonym), so both
    items are taken whole. The row match for the rest then looks for ``survey`` only, and leaves out
    only the item whose listings carry it too; the answer is the row-by-row one."""
    surveying = {"category_code": "surveying", "category_path": ("surveying",), "category_name": "Surveying"}
    cost = {
        "category_code": "cost",
        "category_path": ("cost",),
        "category_name": "Cost",
        "extra_terms": ("quantity surveying",),
    }
    eia = {"category_code": "eia", "category_path": ("eia",), "category_name": "Eia"}
    titles = [
        (surveying, "Topographic survey"),
        (surveying, "Cadastral map"),
        (surveying, "Land plot"),
        (cost, "Bill of quantities"),
        (cost, "Final account"),
        (eia, "Foundation survey"),
        (eia, "Soil report"),
    ]
    backend.index(
        ListingDocument(listing_id=n, title=title, price=Decimal(1000 * n), **fields)
        for n, (fields, title) in enumerate(titles, start=1)
    )
    assert excluded(SearchQuery(q="surv")) == {"catsurveying", "catcost"}
    assert kept(SearchQuery(q="surv")) == ("'survey'", "'catsurveying'")
    # No listing of an item not taken whole carries the word: the row match is for a token none has.
    match, left_out = kept(SearchQuery(q="surveying"))  # surveying:* | catsurveying
    assert (set(re.findall(r"'([^']*)'", match)), left_out) == ({"-"}, None)
    # Nothing taken whole: the search's own tsquery.
    assert kept(SearchQuery(q="soil")) == ("'soil':*", None)
    for asked in ("surv", "surveying", "soil", "survey map", "surveying foundation"):
        for sort in ("relevance", "price_asc"):
            query = SearchQuery(q=asked, sort=sort)
            assert answer(cold(backend, query)) == answer(by_rows(backend, query, monkeypatch)), (asked, sort)
    assert cold(backend, SearchQuery(q="surv")).total == 6
    assert cold(backend, SearchQuery(q="surveying")).total == 5
