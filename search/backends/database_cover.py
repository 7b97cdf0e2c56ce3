"""PostgreSQL: the service items a search matches whole, read from kept counts instead of row by row.

A broad search matches whole service items: ``环评`` every EIA listing, ``survey`` every surveying
and every cost-consulting listing (whose synonyms say "quantity surveying"). Matching them row by
row reads, ranks and aggregates thousands of rows for facets the database already keeps
(``CategoryFacetCount``, ``ProvinceFacetCount``) and a page that is the first rows of one index.

So, in the search's one statement (one snapshot: the counts and the rows agree):

- ``groups``: each service item (code and path, as the counts key it) with its entries' number and
  its ``cat`` tokens (``search.tokens.category_token`` of its code and of its path's codes: exactly
  the service item tokens its entries' vectors carry).
- ``every``: the items in which every entry matches. ``ItemTokenCount`` says how many entries of
  an item carry each token (migration 0009: every token); where that is the item's entries, every
  entry has it. The search's tsquery is evaluated against those tokens (only the tokens it names
  are read). Sound because our tsqueries have only ``&``, ``|`` and prefixes: true of tokens every
  entry has, true of every entry.
- ``excluding``: the items' own tokens whose every entry (the item and everything under it) is in
  ``every``; ``covered``: the items those tokens find.
- ``kept``: the row match, for the other items. Each operand of the tsquery becomes the tokens it
  matches that those items carry (``kept_tokens``): ``survey:*`` reads ``survey``'s listings, no
  longer also those of ``surveying``, which only covered items carry. It runs with ``& !token``
  for each covered item that carries a kept token, inside the GIN index, so covered items' rows
  are never read for it; their facets come from the kept counts of the price and rating
  bands the filters take whole, plus, read row by row through an (item, price) or (item, rating)
  index, their rows in a band the filters cut (``partial``); their candidates for the page are the
  first rows of each item in the page's order (indexes on item and order, migration 0008), and
  none at all, nor any other row, when the items a best-match query names fill the page (``filled``).

Used for searches with words and no filter beyond the service item, price and rating; other
searches match row by row (``DatabaseBackend._search_planned``).

Like the service item filter, this trusts that no listing's own text holds a ``cat`` token
(``cateia``): such a listing would be taken for one of the item's.
"""

import re
from dataclasses import dataclass

from ..models import CategoryFacetCount, ItemTokenCount, ListingIndexEntry, ProvinceBandCount, ProvinceFacetCount
from ..query import PRICE_BANDS, RATING_BANDS, SearchQuery
from ..tokens import category_token_sql, category_tokens_sql

# A tsquery's operands as ``search.tokens`` writes them: a token, with ``:*`` when a prefix.
_OPERAND = re.compile(r"([0-9a-z\u3400-\u9fff]+)(:\*)?")
# The row match (``kept``): the search's tsquery with only the tokens listings of items not covered
# carry, and the tsquery of the covered items' own tokens it must leave out (NULL when none).
KEPT, EXCLUDED = "(SELECT match FROM kept)", "(SELECT excluded FROM kept)"
# A token no vector carries (``search.tokens`` writes letters, digits and Chinese characters only).
_NO_TOKEN = "'-'"  # noqa: S105 - a tsquery operand, not a secret
# The score of a row that cannot reach the page (``ts_rank`` is float4, scaled by a float8).
UNRANKED = "0.0::float8"


def applies(query: SearchQuery) -> bool:
    """Whether ``query`` can take covered items from the counts: words, and no filter the counts
    are not kept by (region, days, certified)."""
    return bool(query.terms) and not query.region and query.max_days is None and query.certified is None


@dataclass(frozen=True)
class Bands:
    """Which price bands and rating bands (``ListingIndexEntry.price_band``, ``rating_band``) the
    filters take whole, and the bands they cut, as (column, least, bound) ranges [least, bound),
    None for an open end: a covered item's rows there are read one by one."""

    prices: tuple[int, ...]
    ratings: tuple[int, ...]
    cuts: tuple[tuple[str, object, object], ...]

    @property
    def partial(self) -> tuple[str, list] | None:
        """SQL (and parameters) true of a row in a cut band, which an (item, column) index answers."""
        if not self.cuts:
            return None
        conditions, params = [], []
        for column, low, high in self.cuts:
            parts = [f"{column} IS NOT NULL"]
            if low is not None:
                parts.append(f"{column} >= %s")
                params.append(low)
            if high is not None:
                parts.append(f"{column} < %s")
                params.append(high)
            conditions.append("(" + " AND ".join(parts) + ")")
        return " OR ".join(conditions), params

    @property
    def everything(self) -> bool:
        return len(self.prices) == len(PRICE_BANDS) + 1 and len(self.ratings) == len(RATING_BANDS) + 1


def bands(query: SearchQuery) -> Bands:
    """How ``query``'s price and rating filters split the bands the counts are kept by."""
    prices, ratings, cut = [], [], []
    low_price, high_price = query.price_min, query.price_max
    for band, (_key, low, high) in enumerate(PRICE_BANDS):
        if (high_price is not None and low is not None and low > high_price) or (
            low_price is not None and high is not None and high <= low_price
        ):
            continue  # no price in the band passes
        if (low_price is None or (low is not None and low >= low_price)) and (
            high_price is None or (high is not None and high <= high_price)
        ):
            prices.append(band)
        else:
            cut.append(("price", low, high))
    if low_price is None and high_price is None:
        prices.append(len(PRICE_BANDS))  # quote only: no price, so any price filter leaves it out
    # Rating band r: how many of RATING_BANDS the rating reaches, so r holds [r-th least, next).
    least = sorted(float(band) for band in RATING_BANDS)
    floor = None if query.rating_min is None else float(query.rating_min)
    for band in range(len(least) + 1):
        low, high = (least[band - 1] if band else None), (least[band] if band < len(least) else None)
        if floor is None or (low is not None and low >= floor):
            ratings.append(band)
        elif high is None or high > floor:
            cut.append(("rating", low, high))
    return Bands(tuple(prices), tuple(ratings), tuple(cut))


def cover_sql(match: str) -> tuple[str, list]:
    """The CTEs ``groups``, ``every``, ``excluding``, ``covered``, ``kept_tokens`` and ``kept`` (see
    the module) for the tsquery ``match``, and their parameters."""
    operands = _OPERAND.findall(match)
    kept, kept_params = _kept_sql(match)
    exact = sorted({token for token, prefix in operands if not prefix})
    prefixes = sorted({token for token, prefix in operands if prefix})
    # The tokens the tsquery names, through the unique index: in byte order (the token's collation
    # is "C") a prefix is a range, written out so that a prepared statement's plan, made before
    # the prefix is known, reads it from the index as well.
    named = " OR ".join(["t.token = ANY(%s)"] + ["(t.token >= %s AND t.token < %s)"] * len(prefixes))
    sql = f"""
        groups AS MATERIALIZED (
            SELECT category_code, category_path, SUM(n) AS total,
                {category_token_sql("category_code")} AS token,
                ARRAY({category_tokens_sql("category_path || '/' || category_code")}) AS tokens
            FROM {CategoryFacetCount._meta.db_table} GROUP BY category_code, category_path
        ),
        every AS MATERIALIZED (
            SELECT g.category_code, g.category_path
            FROM groups g JOIN {ItemTokenCount._meta.db_table} t
                ON t.category_code = g.category_code AND t.category_path = g.category_path AND t.n = g.total
            WHERE {named}
            GROUP BY g.category_code, g.category_path
            HAVING array_to_tsvector(array_agg(t.token::text)) @@ %s::tsquery
        ),
        excluding AS MATERIALIZED (
            SELECT DISTINCT g.token FROM every JOIN groups g USING (category_code, category_path)
            WHERE g.token <> 'cat' AND NOT EXISTS (
                SELECT 1 FROM groups other WHERE g.token = ANY(other.tokens)
                AND (other.category_code, other.category_path) NOT IN (SELECT category_code, category_path FROM every)
            )
        ),
        covered AS MATERIALIZED (
            SELECT category_code, category_path FROM groups WHERE tokens && ARRAY(SELECT token FROM excluding)
        ),
        kept_tokens AS MATERIALIZED (
            SELECT DISTINCT t.token FROM {ItemTokenCount._meta.db_table} t WHERE ({named})
            AND (t.category_code, t.category_path) NOT IN (SELECT category_code, category_path FROM covered)
        ),
        kept AS MATERIALIZED (
            SELECT CASE WHEN EXISTS (SELECT FROM covered) THEN ({kept})::tsquery ELSE %s::tsquery END AS match,
                (SELECT string_agg(e.token, ' | ')::tsquery FROM excluding e WHERE EXISTS (
                    SELECT FROM groups g JOIN {ItemTokenCount._meta.db_table} t USING (category_code, category_path)
                    WHERE e.token = ANY(g.tokens) AND t.token IN (SELECT token FROM kept_tokens)
                )) AS excluded
        ),
    """  # noqa: S608 - our tables' names and fixed SQL; the tokens and the tsquery are parameters
    named_params = [exact, *(bound for prefix in prefixes for bound in (prefix, _after_prefix(prefix)))]
    return sql, [*named_params, match, *named_params, *kept_params, match]


def _after_prefix(prefix: str) -> str:
    """The least string after every string starting with ``prefix``, in code point order (which is
    the byte order of the "C" collation): the prefix with its last character's successor.
    ``search.tokens`` writes only letters, digits and Chinese characters, none of them the last
    code point."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _kept_sql(match: str) -> tuple[str, list]:
    """SQL of the text of ``match`` with each operand (``survey:*``, ``cateia``) replaced by the
    tokens it matches of ``kept_tokens``: those listings of items not covered carry, by
    ``ItemTokenCount`` (every token of every entry, migration 0009). ``survey:*`` becomes
    ``('survey')`` where only covered items carry ``surveying``, so the GIN index does not read
    ``surveying``'s listings only to leave them out; an operand none of them carries becomes a
    token no listing has. It matches the same rows of the items not covered: a row matches an
    operand by a token of its own, which its item carries, and our tsqueries have only ``&``, ``|``
    and prefixes. A covered item none of whose listings carries a kept token cannot match it either,
    so its own token is left out of ``excluded`` (a negation the GIN index would read the item's
    listings for). (Tokens need no quoting: see _NO_TOKEN.)"""
    operands = list(dict.fromkeys(found.group(0) for found in _OPERAND.finditer(match)))
    template = _OPERAND.sub(lambda found: f"<{operands.index(found.group(0))}>", match)
    sql, params = "%s", [template]
    tokens = "string_agg('''' || token || '''', ' | ')"
    for number, operand in enumerate(operands):
        prefix = operand.endswith(":*")
        sql = (
            f"replace({sql}, %s, (SELECT '(' || COALESCE({tokens}, %s) || ')'"  # noqa: S608 - fixed SQL
            f" FROM kept_tokens WHERE token {'LIKE' if prefix else '='} %s))"
        )
        params += [f"<{number}>", _NO_TOKEN, operand.removesuffix(":*") + ("%" if prefix else "")]
    return sql, params


def counted_categories_sql(whole: Bands) -> tuple[str, list]:
    """``UNION ALL`` rows (category_code, price_band, rating_band, n) of the covered items' whole
    bands."""
    return (
        f"UNION ALL SELECT category_code, price_band, rating_band, n FROM {CategoryFacetCount._meta.db_table}"  # noqa: S608
        " JOIN covered USING (category_code, category_path)"
        " WHERE price_band = ANY(%s) AND rating_band = ANY(%s)",
        [list(whole.prices), list(whole.ratings)],
    )


def counted_provinces_sql(whole: Bands) -> tuple[str, list]:
    """``UNION ALL`` rows (province_code, n) of the covered items' whole bands: from the counts per
    item and province when the filters take every band, else from those per band too."""
    if whole.everything:
        return (
            f"UNION ALL SELECT province_code, n FROM {ProvinceFacetCount._meta.db_table}"  # noqa: S608
            " JOIN covered USING (category_code, category_path)",
            [],
        )
    return (
        f"UNION ALL SELECT province_code, n FROM {ProvinceBandCount._meta.db_table}"  # noqa: S608
        " JOIN covered USING (category_code, category_path)"
        " WHERE price_band = ANY(%s) AND rating_band = ANY(%s)",
        [list(whole.prices), list(whole.ratings)],
    )


def hits_sql(matched: tuple[str, list], columns: list[str], query: SearchQuery, whole: Bands) -> tuple[str, list]:
    """The rows aggregated for facets: ``matched`` (the match of the items not covered, selecting
    ``columns``) marked ``paged``, as the page's candidates; and the covered items' rows in a band
    the filters cut, counted but not paged (``pool_sql`` reads their candidates), so not ranked."""
    sql, params = f"SELECT *, true AS paged FROM ({matched[0]}) matched", list(matched[1])  # noqa: S608
    if (partial := whole.partial) is not None:
        select, select_params = select_sql(columns, (UNRANKED, []))
        filters, filter_params = filters_sql(query, checked=False)
        sql += (
            f" UNION ALL SELECT {select}, false FROM {ListingIndexEntry._meta.db_table}"  # noqa: S608
            " WHERE (category_code, category_path) IN (SELECT category_code, category_path FROM covered)"
            f" AND ({partial[0]}){filters}"
        )
        params += [*select_params, *partial[1], *filter_params]
    return sql, params


def pool_sql(columns: list[str], query: SearchQuery, order: str, rank, named=None) -> tuple[str, list]:
    """The page's candidates: the matched rows of the items not covered, and each covered item's
    first rows in ``order`` (the page's order but for whether the query names the item, the same
    for all of an item's rows), read from an index on (item, order) (migration 0008): the page
    cannot reach further into any one item. The filters are checked on the rows the index gives
    (``+ 0``: an index on the price would have every row of the item read and ranked).
    With ``named`` (best match: SQL and parameters true of a row whose item the query names,
    ranked first), only named rows when ``filled_sql`` says they fill the page."""
    select, params = select_sql(columns, rank)
    filters, filter_params = filters_sql(query, checked=True)
    reached, reached_params = "", []
    if named is not None:
        reached = f" AND (NOT (SELECT yes FROM filled) OR {named[0]})"  # noqa: S608 - fixed SQL
        reached_params = list(named[1])
    # An item left out is left out whole, before its index is read (a condition on its rows would
    # have the index read to the end for none).
    return (
        f"(SELECT * FROM hits WHERE paged{reached} UNION ALL"  # noqa: S608
        f" SELECT first_rows.*, true FROM (SELECT * FROM covered WHERE true{reached}) covered CROSS JOIN LATERAL ("
        f"SELECT {select} FROM {ListingIndexEntry._meta.db_table}"
        f" WHERE category_code = covered.category_code AND category_path = covered.category_path{filters}"
        f" ORDER BY {order} LIMIT %s) first_rows) pool",
        [*reached_params, *reached_params, *params, *filter_params, query.offset + query.page_size],
    )


def filled_sql(query: SearchQuery, whole: Bands, named: tuple[str, list]) -> tuple[str, list]:
    """The CTE ``filled``: whether the covered items the query names (``named``: SQL about a row's
    ``category_code``) fill the page by their whole bands alone. Best match ranks named items
    first, so then no other row can reach the page, and none is ranked for it (``unless_filled``)."""
    return (
        f"filled AS MATERIALIZED (SELECT COALESCE(SUM(n), 0) >= %s AS yes FROM {CategoryFacetCount._meta.db_table}"  # noqa: S608
        " JOIN covered USING (category_code, category_path)"
        f" WHERE price_band = ANY(%s) AND rating_band = ANY(%s) AND ({named[0]}))",
        [query.offset + query.page_size, list(whole.prices), list(whole.ratings), *named[1]],
    )


def unless_filled(rank: tuple[str, list], named: tuple[str, list]) -> tuple[str, list]:
    """``rank`` (SQL and parameters of a row's score) but ``UNRANKED`` where ``filled`` says the named
    items fill the page and the row's item is not named (``named``): a row that cannot reach the
    page (``pool_sql`` leaves it out) is not ranked. For ``survey``'s 1,660 hits of other items,
    0.7 ms of ``ts_rank``."""
    return (
        f"CASE WHEN (SELECT yes FROM filled) AND NOT {named[0]} THEN {UNRANKED} ELSE {rank[0]} END",  # noqa: S608 - fixed SQL
        [*named[1], *rank[1]],
    )


def select_sql(columns: list[str], rank: tuple[str, list]) -> tuple[str, list]:
    """``columns`` of an entry row, ``score`` being ``rank`` (SQL and parameters)."""
    names = [f"{rank[0]} AS score" if column == "score" else column for column in columns]
    return ", ".join(names), (list(rank[1]) if "score" in columns else [])


def filters_sql(query: SearchQuery, *, checked: bool) -> tuple[str, list]:
    """The filters on an entry's own columns as ``AND ...``, as ``DatabaseBackend._filtered_columns``
    makes them. ``checked``: each column ``+ 0``, so the planner checks it on the rows a match or an
    (item, order) index gives instead of ANDing in a bitmap of, say, half the table's prices."""
    plus = " + 0" if checked else ""
    sql, params = "", []
    for column, operator, value in (
        ("price", ">=", query.price_min),
        ("price", "<=", query.price_max),
        ("rating", ">=", None if query.rating_min is None else float(query.rating_min)),
        ("service_days", "<=", query.max_days),
    ):
        if value is not None:
            sql += f" AND {column}{plus} {operator} %s"
            params.append(value)
    if query.certified is not None:
        sql += " AND certified = %s"
        params.append(query.certified)
    return sql, params
