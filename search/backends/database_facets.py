"""The database backend's facets as a buyer reads them: rows counted by a search's aggregation, or
by PostgreSQL as the index is written (``counted_facets``), grouped into the category, region,
price and rating facets of a ``SearchResult``."""

from collections.abc import Iterable

from marketplace.core import table_versions

from ..models import CategoryFacetCount, ListingIndexEntry, ProvinceFacetCount
from ..query import PRICE_BANDS, QUOTE_BAND, RATING_BANDS, Facet, FacetValue, Hit, SearchQuery, SearchResult
from ..tokens import category_token, category_tokens_sql
from .database_rows import bands_reached


def item_names_sql(relation: str) -> str:
    """SQL of each service item code in ``relation`` with its names, read from one of its entries.

    The entry comes from an index on (code, path): ``ORDER BY category_path`` makes the planner walk
    it. With only the code (a constant once joined), it scanned the table from the start for the
    first row of the item's few thousand (1.3 ms an item on the bench's 100,000 listings)."""
    return f"""
        SELECT codes.category_code, named.category_name, named.category_name_zh
        FROM (SELECT DISTINCT category_code FROM {relation}) codes
        CROSS JOIN LATERAL (
            SELECT category_name, category_name_zh FROM {ListingIndexEntry._meta.db_table} entry
            WHERE entry.category_code = codes.category_code ORDER BY entry.category_path LIMIT 1
        ) named
    """  # noqa: S608 - our table and a relation named by our code


def counted_facets(cursor, category: str = "") -> tuple[list[dict], list[dict]]:
    """The facets of every entry, or of the entries of service item ``category`` and the items under
    it (as the PostgreSQL search matches them), from the counts the database keeps
    (``CategoryFacetCount``, ``ProvinceFacetCount``: migration 0007's triggers), with each service
    item's names from one of its entries."""
    # The page depends on the entries these counts follow, whoever wrote them.
    table_versions.note_read(ListingIndexEntry)
    categories, provinces = CategoryFacetCount._meta.db_table, ProvinceFacetCount._meta.db_table
    items, of_item = "", ""
    if category:
        # As DatabaseBackend.filtered matches a service item on PostgreSQL (``category_token`` in
        # the entry's vector): the item anywhere in a listing's path, spelt with or without its
        # hyphens. Decided once per item (code and path), then its counts read by index: per count
        # row, splitting paths took 2 ms of the 2.4 on the bench's 1,088 rows.
        items = f"""items AS MATERIALIZED (
            SELECT category_code, category_path
            FROM (SELECT DISTINCT category_code, category_path FROM {categories}) item
            WHERE %(token)s IN ({category_tokens_sql("category_path")})
        ),"""  # noqa: S608 - our table and fixed SQL; the item's token is a parameter
        of_item = "JOIN items USING (category_code, category_path)"
    cursor.execute(
        f"""
        WITH {items} counted AS (
            SELECT category_code, price_band, rating_band, n FROM {categories} {of_item}
        ),
        names AS ({item_names_sql("counted")})
        SELECT 'c', category_code, category_name, category_name_zh, {category_facet_sql("counted")}
        UNION ALL
        SELECT 'r', province_code, '', '', SUM(n)::int, NULL, NULL
        FROM {provinces} {of_item} GROUP BY province_code
        """,  # noqa: S608 - our tables' names and fixed SQL; the item is a parameter
        {"token": category_token(category)} if category else None,
    )
    rows = cursor.fetchall()
    return facet_rows(
        (row[1:] for row in rows if row[0] == "c"),
        ((code, n) for kind, code, _name, _zh, n, *_counts in rows if kind == "r"),
    )


def category_facet_sql(counted: str, more: str = "") -> str:
    """The category facet's columns from ``counted`` (rows of category_code, price_band,
    rating_band and n) joined to ``names`` (``item_names_sql``), as ``facet_rows`` reads them: a row
    per service item (its names first, selected before this), its count, its counts in each price
    band (PRICE_BANDS, then quote only) and reaching each of RATING_BANDS. Summed by the database:
    the bare search's counts come as 510 rows on the bench's 100,000 listings, its facet as 17.
    ``more``: columns selected after these (", ..."), as a statement's other rows have them."""
    prices = ", ".join(f"SUM(n) FILTER (WHERE price_band = {band})" for band in range(len(PRICE_BANDS) + 1))
    ratings = ", ".join(f"SUM(n) FILTER (WHERE rating_band >= {bands_reached(band)})" for band in RATING_BANDS)
    return (
        f"SUM(n)::int, ARRAY[{prices}]::int[], ARRAY[{ratings}]::int[]{more}"
        f" FROM {counted} JOIN names USING (category_code) GROUP BY category_code, category_name, category_name_zh"
    )


def facet_rows(categories: Iterable[tuple], provinces: Iterable[tuple[str, int]]) -> tuple[list[dict], list[dict]]:
    """The category and province facets as ``search_result`` reads them, from counted rows: ``categories``
    yields (code, name, name_zh, n, counts in each price band, counts reaching each of RATING_BANDS),
    as ``category_facet_sql`` selects them (a band no row is in may be NULL); ``provinces`` yields
    (province code, n)."""
    price_keys = [f"price:{key}" for key, _low, _high in PRICE_BANDS] + [f"price:{QUOTE_BAND}"]
    rating_keys = [f"rating:{band}" for band in RATING_BANDS]
    return (
        sorted(
            (
                {"category_code": code, "category_name": name, "category_name_zh": name_zh, "n": n}
                | {key: count or 0 for key, count in zip(price_keys, prices, strict=True)}
                | {key: count or 0 for key, count in zip(rating_keys, ratings, strict=True)}
                for code, name, name_zh, n, prices, ratings in categories
            ),
            key=lambda row: (-row["n"], row["category_code"]),
        ),
        sorted(
            ({"province_code": province, "n": n} for province, n in provinces),
            key=lambda row: (-row["n"], row["province_code"]),
        ),
    )


def search_result(query: SearchQuery, categories: list[dict], provinces, hits: tuple[Hit, ...]) -> SearchResult:
    """The result a buyer reads: ``facet_rows``' facets, their totals and band sums, and the page."""
    total = sum(row["n"] for row in categories)
    keys = [f"price:{key}" for key, _low, _high in PRICE_BANDS] + [f"price:{QUOTE_BAND}"]
    keys += [f"rating:{band}" for band in RATING_BANDS]
    counts = {key: sum(row[key] for row in categories) for key in keys}
    zh = query.language == "zh"
    facets = {
        "category": Facet(
            "category",
            tuple(
                FacetValue(row["category_code"], row["n"], (zh and row["category_name_zh"]) or row["category_name"])
                for row in categories
                if row["category_code"]
            ),
        ),
        "region": Facet(
            "region",
            tuple(FacetValue(row["province_code"], row["n"]) for row in provinces),
        ),
        "price": Facet(
            "price",
            tuple(FacetValue(key.split(":", 1)[1], n) for key, n in counts.items() if key.startswith("price:") and n),
        ),
        "rating": Facet(
            "rating",
            tuple(FacetValue(key.split(":", 1)[1], n) for key, n in counts.items() if key.startswith("rating:") and n),
        ),
    }
    return SearchResult(query=query, hits=hits, total=total, facets=facets)
