"""The embedded default: search over ``search.ListingIndexEntry`` with the ORM.

On PostgreSQL the text match is one ``@@`` against a token vector (``search.tokens``: Latin words,
Chinese character bigrams, the service item, the regions served) kept on the entry itself, beside
the filter and facet columns, behind a GIN index: the words, the region filter and the service
item filter are intersected inside the index, and each hit costs one narrow row read, no join.
Hits are ranked by ``ts_rank``. On SQLite the same filters, facets and sorts run over ``LIKE``
matches and ``ListingRegion`` joins.

Best match orders by: whether the listing is of the service item the query names, then the
provider's credit grade tier (5 stars first; ungraded providers count as ``UNGRADED_TIER``), then
the text match, then the best rated. The other sorts are what the buyer asked for and ignore the
grade.

A search costs two queries on PostgreSQL whatever the result size (hits, facets and the page's
ids in one statement; the page's rows) and three on SQLite. A search with no words and no filter
but the service item (the search page as first opened, a click on a service item) reads its facets
from counts PostgreSQL keeps as the index is written (``CategoryFacetCount``, ``ProvinceFacetCount``:
triggers, migration 0007) and its page by index, instead of aggregating the listings. A search
with words takes the service items every listing of which it matches from such counts too, and
matches only the rest row by row (``database_cover``, migration 0008). Every answer, those
included, is kept in the cache under the index version token, so the same search on an unchanged
index reads only its page's rows. Long text for display lives in ``ListingIndexText``.
"""

import hashlib
from collections.abc import Iterable
from uuid import uuid4

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from marketplace.core.regions import get_region

from ..documents import ListingDocument
from ..models import (
    CategoryFacetCount,
    IndexVersion,
    ItemTokenCount,
    ListingIndexEntry,
    ListingIndexText,
    ListingRegion,
    ProvinceBandCount,
    ProvinceFacetCount,
)
from ..query import (
    PRICE_BANDS,
    QUOTE_BAND,
    RATING_BANDS,
    Hit,
    SearchQuery,
    SearchResult,
    category_codes_for_term,
)
from ..tokens import category_token, province_token, region_token, term_tsquery
from . import database_cover
from .base import BATCH_SIZE, SearchBackend, batched
from .database_facets import category_facet_sql, counted_facets, facet_rows, item_names_sql, search_result
from .database_help import TypingHelp
from .database_rows import (
    LiteralTsQuery,
    document_from_entry,
    document_from_row,
    documents_sql,
    entry_from_document,
    storage_order,
    text_from_document,
)

# Text weights on SQLite: a word in the title beats one in the description. (A query that names
# the service item puts that item's listings first through a sort key of its own.)
TITLE_WEIGHT, TEXT_WEIGHT = 10, 1
# Documents sorted together into storage order by one ``index`` call (memory: a few MB).
SORT_CHUNK = 10_000
# Filter-only facet counts are cached under the index version token; this only bounds memory.
FACET_CACHE_SECONDS = 3600


class DatabaseBackend(TypingHelp, SearchBackend):
    name = "database"

    # --- writing ------------------------------------------------------------------------------

    @staticmethod
    def _bump_version() -> None:
        """A new token in the writing transaction: cached facets keyed by the old one go unread.
        A random token, not a counter, so a rolled-back write can never reuse a key. Its row lock
        also takes the index's writers one at a time, so the facet counts the database keeps
        (migration 0007) are never updated by two of them at once."""
        # One upsert: two first writers at once both find no row to update (the second waits for
        # the first's insert to commit, then updates it).
        IndexVersion.objects.bulk_create(
            [IndexVersion(pk=1, token=uuid4().hex)],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["token"],
        )

    @transaction.atomic
    def index(self, documents: Iterable[ListingDocument]) -> int:
        """Write ``documents``, SORT_CHUNK at a time in storage order (see ``storage_order``)."""
        written = 0
        self._bump_version()
        for chunk in batched(documents, SORT_CHUNK):
            chunk.sort(key=storage_order)
            for batch in batched(chunk, BATCH_SIZE):
                self._write(batch)
                written += len(batch)
        return written

    @staticmethod
    def _write(batch: list[ListingDocument]) -> None:
        ListingIndexEntry.objects.filter(listing_id__in=[d.listing_id for d in batch]).delete()
        postgres = connection.vendor == "postgresql"
        entries = ListingIndexEntry.objects.bulk_create([entry_from_document(d) for d in batch])
        if connection.features.can_return_rows_from_bulk_insert:
            ids = {entry.listing_id: entry.pk for entry in entries}
        else:  # old SQLite: ask for the ids the insert gave
            ids = dict(
                ListingIndexEntry.objects.filter(listing_id__in=[d.listing_id for d in batch]).values_list(
                    "listing_id", "pk"
                )
            )
        ListingIndexText.objects.bulk_create(text_from_document(d, ids[d.listing_id], postgres=postgres) for d in batch)
        if postgres:  # the vector's region tokens answer region filters there
            return
        ListingRegion.objects.bulk_create(
            ListingRegion(
                entry_id=ids[d.listing_id],
                code=code,
                province_code=code[:2] + "0000",
                counts_for_province=code[:2] + "0000" not in {c[:2] + "0000" for c in d.region_codes[:position]},
            )
            for d in batch
            for position, code in enumerate(d.region_codes)
        )

    @transaction.atomic
    def remove(self, listing_ids: Iterable[int]) -> None:
        self._bump_version()
        ListingIndexEntry.objects.filter(listing_id__in=list(listing_ids)).delete()

    @transaction.atomic
    def clear(self) -> None:
        self._bump_version()
        ListingRegion.objects.all().delete()
        ListingIndexText.objects.all().delete()
        ListingIndexEntry.objects.all().delete()

    def count(self) -> int:
        return ListingIndexEntry.objects.count()

    def rebuild(self, documents, *, batch_size=BATCH_SIZE, progress=None) -> int:
        # One transaction: on PostgreSQL searches keep seeing the old index until the new one
        # commits. Whole sort chunks, so a rebuild stores the index in storage order.
        with transaction.atomic():
            written = super().rebuild(documents, batch_size=max(batch_size, SORT_CHUNK), progress=progress)
        self.settle()
        return written

    @staticmethod
    def settle() -> bool:
        """PostgreSQL, after a bulk write has committed: ``VACUUM (ANALYZE)`` the index's tables, as
        autovacuum would in time (and never does where it is turned off). It merges the GIN index's
        pending list, which every search otherwise reads whole; clears the dead rows the count
        triggers leave behind (ten for each live one after loading 100,000 listings), which the count
        reads step over; and gives the planner the new row counts. False where it cannot run:
        SQLite, or inside a transaction (VACUUM cannot)."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return False
        counts = (CategoryFacetCount, ProvinceFacetCount, ProvinceBandCount, ItemTokenCount)
        tables = (ListingIndexEntry, ListingIndexText, *counts)
        names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {names}")
        return True

    # --- reading ------------------------------------------------------------------------------

    @staticmethod
    def _tsquery(query: SearchQuery) -> str:
        """Every word must match; a word naming a service item also matches that item's listings."""
        clauses = []
        for term in query.terms:
            alternatives = [f"({part})" for part in [term_tsquery(term)] if part]
            alternatives += [category_token(code) for code in category_codes_for_term(term)]
            if alternatives:
                clauses.append("(" + " | ".join(alternatives) + ")")
        text = " & ".join(clauses)
        if len(query.terms) > 1 and query.expanded_categories:
            # "environmental assessment" names eia as a phrase even though each word alone does not
            named = " | ".join(category_token(code) for code in query.expanded_categories)
            text = f"({text}) | {named}" if text else named
        return text

    def _match_tsquery(self, query: SearchQuery) -> str | None:
        """PostgreSQL: the words, the service item filter and the region filter as one tsquery, so
        the GIN index intersects them (a region filter no longer reads every text hit)."""
        clauses = []
        if query.terms:
            text = self._tsquery(query)
            if not text:
                return ""  # words without a token (punctuation): the empty tsquery matches nothing
            clauses.append(f"({text})")
        if query.category:
            clauses.append(category_token(query.category))  # the item or anything under it
        if query.region and (region := get_region(query.region)):
            if region.is_province:
                clauses.append(province_token(region.code))
            else:  # a city is served by listings for the city itself or its whole province
                clauses.append(f"({region_token(region.code)} | {region_token(region.province_code)})")
        return " & ".join(clauses) or None

    def _text_filter(self, query: SearchQuery) -> Q:
        condition = Q()
        for term in query.terms:
            alternatives = Q(text__search_text__contains=term)
            codes = category_codes_for_term(term)
            if codes:
                alternatives |= Q(category_code__in=codes)
            condition &= alternatives
        whole = query.q.strip().lower()
        if len(query.terms) > 1:
            if query.expanded_categories:
                condition |= Q(category_code__in=query.expanded_categories)
            condition |= Q(category_name__iexact=whole) | Q(category_name_zh=whole)
        return condition

    def filtered(self, query: SearchQuery) -> QuerySet:
        """The entries ``query`` matches: on SQLite, and on PostgreSQL for the page of a search with
        no words (the search statement's row match is ``_matched_sql``, the same written out)."""
        entries = ListingIndexEntry.objects.defer("vector")
        if connection.vendor == "postgresql":
            if (match := self._match_tsquery(query)) is not None:
                entries = entries.filter(vector=LiteralTsQuery(match))
            return self._filtered_columns(entries, query)
        if query.terms:
            entries = entries.filter(self._text_filter(query))
        if query.category:
            # The item itself, or anything under it when it is a top-level item (today's catalogue
            # is one level deep); both are index lookups, unlike a substring match on the path.
            entries = entries.filter(
                Q(category_code=query.category) | Q(category_path__startswith=f"/{query.category}/")
            )
        if query.region and (region := get_region(query.region)):
            if region.is_province:
                served = ListingRegion.objects.filter(province_code=region.code)
            else:  # a city is served by listings for the city itself or its whole province
                served = ListingRegion.objects.filter(code__in=[region.code, region.province_code])
            entries = entries.filter(Exists(served.filter(entry=OuterRef("pk"))))
        return self._filtered_columns(entries, query)

    def _matched_sql(
        self, query: SearchQuery, columns: list[str], *, uncovered: bool, rank: tuple[str, list] | None = None
    ) -> tuple[str, list]:
        """PostgreSQL: ``columns`` (``score``: ``rank``, by default ``_rank_sql``) of the entries
        ``filtered`` gives, as SQL and parameters (written out: building and compiling the queryset
        took 0.7 ms a search). With ``uncovered``, in a statement holding
        ``database_cover.cover_sql``'s CTEs, only those of the items not taken whole: ``kept``, the
        tokens only covered items carry left out and the covered items that carry a kept one
        negated, inside the GIN index."""
        select, params = database_cover.select_sql(columns, rank or self._rank_sql(query))
        match = self._match_tsquery(query)
        if match is None:
            where, where_params = "true", []
        elif uncovered:
            kept, excluded = database_cover.KEPT, database_cover.EXCLUDED
            where, where_params = f"vector @@ COALESCE({kept} && !!{excluded}, {kept})", []
        else:
            where, where_params = "vector @@ %s::tsquery", [match]
        filters, filter_params = database_cover.filters_sql(query, checked=match is not None)
        table = ListingIndexEntry._meta.db_table
        return (
            f'SELECT {select} FROM "{table}" WHERE {where}{filters}',  # noqa: S608 - our table, fixed SQL
            [*params, *where_params, *filter_params],
        )

    @staticmethod
    def _filtered_columns(entries: QuerySet, query: SearchQuery) -> QuerySet:
        """The filters on the entry's own columns (``database_cover.filters_sql`` in SQL)."""
        if query.price_min is not None:
            entries = entries.filter(price__gte=query.price_min)
        if query.price_max is not None:
            entries = entries.filter(price__lte=query.price_max)
        if query.rating_min is not None:
            entries = entries.filter(rating__gte=float(query.rating_min))
        if query.max_days is not None:
            entries = entries.filter(service_days__lte=query.max_days)
        if query.certified is not None:
            entries = entries.filter(certified=query.certified)
        return entries

    @staticmethod
    def _named(query: SearchQuery):
        """1 when the query names the listing's service item (by name or abbreviation), else 0."""
        whole = query.q.strip().lower()
        category_match = Q(category_name__iexact=whole) | Q(category_name_zh=whole)
        if query.expanded_categories:
            category_match |= Q(category_code__in=query.expanded_categories)
        return Case(When(category_match, then=Value(1)), default=Value(0))

    def _rank_sql(self, query: SearchQuery) -> tuple[str, list]:
        """PostgreSQL: ``_score`` as SQL on an entry row, and its parameters, also for the rows
        ``database_cover`` reads. ts_rank weighs title (A) over service item (B), provider (C)
        and description (D) tokens."""
        table = ListingIndexEntry._meta.db_table
        return f'ts_rank("{table}"."vector", %s::tsquery) * %s', [self._tsquery(query), float(TITLE_WEIGHT)]

    def _score(self, query: SearchQuery):
        """How well the text matches: title words over the rest (the service item and grade are
        separate, earlier sort keys, see ``_ordered``)."""
        if connection.vendor == "postgresql":
            return RawSQL(*self._rank_sql(query), output_field=FloatField())  # noqa: S611 - ours, parameters
        score = Value(0.0)
        for term in query.terms:
            score = score + Case(
                When(text__title_text__contains=term, then=Value(float(TITLE_WEIGHT))), default=Value(0.0)
            )
            score = score + Case(
                When(text__search_text__contains=term, then=Value(float(TEXT_WEIGHT))), default=Value(0.0)
            )
        return score

    def _ordered(self, entries: QuerySet, query: SearchQuery) -> QuerySet:
        best_rated = (F("rating").desc(nulls_last=True), F("rating_count").desc())
        if query.sort == "price_asc":
            order = (F("price").asc(nulls_last=True), *best_rated)
        elif query.sort == "price_desc":
            order = (F("price").desc(nulls_last=True), *best_rated)
        elif query.sort == "rating":
            order = best_rated
        elif query.sort == "service_days":
            order = (F("service_days").asc(nulls_last=True), *best_rated)
        else:  # relevance: the named service item, then the credit grade tier, then the text match
            order = (F("grade_tier").desc(), *best_rated)
            if query.terms:
                entries = entries.annotate(named=self._named(query), score=self._score(query))
                order = (F("named").desc(), F("grade_tier").desc(), F("score").desc(), *best_rated)
        return entries.order_by(*order, "listing_id")

    def search(self, query: SearchQuery) -> SearchResult:
        if connection.vendor == "postgresql":
            return self._search_postgresql(query)
        return self._search(query)

    # PostgreSQL: the match is the expensive part (a GIN lookup, then each hit's row read for its
    # columns and rank), so it runs once per search: a MATERIALIZED CTE holds the narrow columns
    # of every hit with its score, and one statement reads the category facet (with the total and
    # the price and rating bands), the province facet and the page's ids from it. A second query
    # loads the page's rows by primary key: two queries whatever the result size.
    _ORDER_SQL = {
        "price_asc": "price ASC NULLS LAST, ",
        "price_desc": "price DESC NULLS LAST, ",
        "service_days": "service_days ASC NULLS LAST, ",
        "rating": "",
    }
    _BEST_RATED_SQL = "rating DESC NULLS LAST, rating_count DESC, listing_id ASC"
    _TIER_SQL = "grade_tier"

    def _search_postgresql(self, query: SearchQuery) -> SearchResult:
        # Planner settings come with the connection (settings.POSTGRES_PLANNER_SETTINGS).
        with _prepared_cursor() as cursor:
            cursor.execute(f"SELECT token FROM {IndexVersion._meta.db_table} WHERE id = 1")  # noqa: S608 - our table
            row = cursor.fetchone()
            return self._search_planned(query, cursor, row[0] if row else None)

    def _search_planned(self, query: SearchQuery, cursor, token: str | None) -> SearchResult:
        # The same search on the same index gives the same answer: kept per index version (any
        # write to the index makes a new token, so nothing cached outlives a change), as
        # Elasticsearch's request cache keeps aggregations until a refresh.
        answer_key = self._answer_key(query, token) if token else None
        if answer_key and (cached := cache.get(answer_key)) is not None:
            categories, provinces, page = cached
            return search_result(query, categories, provinces, self._page_hits(page))
        if not query.terms and set(query.filters()) <= {"category"}:
            # The search page as first opened, or one service item's listings (any sort, any page):
            # facets counted by the database as it writes the index (``counted_facets``), one page.
            categories, provinces = counted_facets(cursor, query.category)
            page, hits = self._unmatched_page(query)
            if answer_key:
                cache.set(answer_key, (categories, provinces, page), FACET_CACHE_SECONDS)
            return search_result(query, categories, provinces, hits)
        key = None
        if not query.terms and token:
            # Without a text match the facets depend on the filters alone: cached per index version.
            filters = repr(sorted(query.filters().items())).encode()
            key = f"search:facets:{token}:{hashlib.sha256(filters).hexdigest()[:32]}"
            cached = cache.get(key)
            if cached is not None:
                categories, provinces = cached
                return search_result(query, categories, provinces, self._unmatched_page(query)[1])
        covering = database_cover.applies(query)
        ranked = bool(query.terms) and query.sort not in self._ORDER_SQL
        # The narrow columns only: every column here is copied once per hit, so the category
        # names are looked up per category (``names``), not carried by each hit.
        columns = ["id", "listing_id", "category_code", "price", "price_band", "rating", "rating_count"]
        columns += ["service_days", "province_codes", "grade_tier", "rating_band"]
        named_params: list = []
        if ranked:
            columns += ["score"]
            # Whether the query names the hit's service item, decided once per category in
            # ``names`` (a hashed subplan) instead of comparing names on every hit.
            whole = query.q.strip().lower()  # as in ``_named``
            named = (
                "category_code IN (SELECT category_code FROM names"
                " WHERE UPPER(category_name) = UPPER(%s) OR category_name_zh = %s)"
            )
            named_params = [whole, whole]
            if query.expanded_categories:
                named += " OR category_code IN (" + ", ".join(["%s"] * len(query.expanded_categories)) + ")"
                named_params += list(query.expanded_categories)
            order = f"({named}) DESC, {self._TIER_SQL} DESC, score DESC, " + self._BEST_RATED_SQL
        elif query.sort in self._ORDER_SQL:
            order = self._ORDER_SQL[query.sort] + self._BEST_RATED_SQL
        else:
            order = f"{self._TIER_SQL} DESC, " + self._BEST_RATED_SQL
        score = "score" if ranked else "0.0::float8"
        # Each piece of the statement, in the order its parameters are read.
        if covering:  # items every listing of which matches: their counts, not their rows
            split = database_cover.bands(query)
            covered_sql, covered_params = database_cover.cover_sql(self._match_tsquery(query))
            rank = self._rank_sql(query)  # a covered item's rows rank as the others
            named_rows = (f"({named})", named_params) if ranked else None
            # Every item's names (``groups``: a few dozen index reads) come before the hits, so
            # that whether the named items fill the page is known before any row is read.
            early = [f"names AS MATERIALIZED ({item_names_sql('groups')})"]
            early_params, matched_rank = [], None
            if named_rows:  # whether the named items fill the page, read by ``pool``
                filled, early_params = database_cover.filled_sql(query, split, named_rows)
                early.append(filled)
                # then no other item's row can reach the page: such rows go unranked
                matched_rank = database_cover.unless_filled(rank, named_rows)
            matched = self._matched_sql(query, columns, uncovered=True, rank=matched_rank)
            hits_sql, hits_params = database_cover.hits_sql(matched, columns, query, split)
            counted_categories, counted_categories_params = database_cover.counted_categories_sql(split)
            counted_provinces, counted_provinces_params = database_cover.counted_provinces_sql(split)
            # the same order but for the named item, the same for all of one item's rows
            group_order = order if not ranked else f"{self._TIER_SQL} DESC, score DESC, " + self._BEST_RATED_SQL
            pool, pool_params = database_cover.pool_sql(columns, query, group_order, rank, named=named_rows)
            late = []
        else:
            covered_sql, covered_params, early, early_params = "", [], [], []
            hits_sql, hits_params = self._matched_sql(query, columns, uncovered=False)
            counted_categories, counted_categories_params = "", []
            counted_provinces, counted_provinces_params = "", []
            pool, pool_params = "hits", []
            late = [f"names AS MATERIALIZED ({item_names_sql('categories')})"]  # of the items hit
        # Only fixed SQL fragments of this module are interpolated; every value is a parameter.
        # The category facet is grouped by price band and rating band too (small integers kept on
        # the entry: comparing every hit's price and rating with the bands cost more than the match
        # itself), as the counts the database keeps are (``counted_facets``).
        # The province facet counts each distinct set of provinces once, then splits only those
        # sets (a few thousand for a broad match, against one row per hit) into provinces, with
        # unnest in the select list: as a LATERAL function scan it filled a tuplestore per set
        # (0.4 ms more for the 1,660 hits of survey&price_max=20000).
        sql = f"""
            WITH {covered_sql}{"".join(cte + "," for cte in early)}
            hits AS MATERIALIZED ({hits_sql}),
            categories AS MATERIALIZED (
                SELECT category_code, price_band, rating_band, COUNT(*) AS n
                FROM hits GROUP BY category_code, price_band, rating_band
                {counted_categories}
            ){"".join("," + cte for cte in late)}
            SELECT 'c', category_code, category_name, category_name_zh,
                {category_facet_sql("categories", ", 0.0::float8")}
            UNION ALL
            SELECT 'r', province, '', '', SUM(n)::int, NULL, NULL, 0.0::float8
            FROM (
                SELECT unnest(string_to_array(province_codes, ' ')) AS province, n
                FROM (SELECT province_codes, COUNT(*) AS n FROM hits GROUP BY province_codes) sets
                {counted_provinces}
            ) served
            GROUP BY province
            UNION ALL
            SELECT 'p', page.id::text, '', '', row_number() OVER (), NULL, NULL, page.score
            FROM (SELECT id, {score} AS score FROM {pool} ORDER BY {order} LIMIT %s OFFSET %s) page
        """  # noqa: S608
        params = (*covered_params, *early_params, *hits_params, *counted_categories_params, *counted_provinces_params)
        cursor.execute(sql, (*params, *pool_params, *named_params, query.page_size, query.offset))
        rows = cursor.fetchall()
        categories, provinces = facet_rows(
            (row[1:7] for row in rows if row[0] == "c"),
            ((code, n) for kind, code, _name, _zh, n, *_rest in rows if kind == "r"),
        )
        if key:
            cache.set(key, (categories, provinces), FACET_CACHE_SECONDS)
        page = [(int(row[1]), row[-1]) for row in sorted(rows, key=lambda row: row[4]) if row[0] == "p"]
        if answer_key:
            cache.set(answer_key, (categories, provinces, page), FACET_CACHE_SECONDS)
        return search_result(query, categories, provinces, self._page_hits(page))

    def _unmatched_page(self, query: SearchQuery) -> tuple[list[tuple[int, float]], tuple[Hit, ...]]:
        """The page of a search with no words, in its order (an index scan for the default order):
        its entry ids with their scores (0), as the answer cache keeps a page, and its hits."""
        window = self._ordered(self.filtered(query), query).values("id")[query.offset : query.offset + query.page_size]
        ids_sql, params = window.query.sql_with_params()
        page_sql = f"SELECT id, row_number() OVER () AS position FROM ({ids_sql}) ids"  # noqa: S608 - the ORM's SQL
        read = self._documents(page_sql, params, {})
        return [(pk, 0.0) for pk, _hit in read], tuple(hit for _pk, hit in read)

    @staticmethod
    def _answer_key(query: SearchQuery, token: str) -> str:
        asked = repr(
            (query.terms, query.q.strip().lower(), sorted(query.filters().items()), query.sort, query.offset)
            + (query.page_size,)
        )
        return f"search:answer:{token}:{hashlib.sha256(asked.encode()).hexdigest()[:32]}"

    def _page_hits(self, page: list[tuple[int, float | None]]) -> tuple[Hit, ...]:
        """The page's hits, in order, from their ids and scores (one query by primary key)."""
        if not page:
            return ()
        read = self._documents(
            "SELECT id, position FROM unnest(%s::bigint[]) WITH ORDINALITY AS page(id, position)",
            [[pk for pk, _ in page]],
            dict(page),
            prepared=True,
        )
        return tuple(hit for _pk, hit in read)

    @staticmethod
    def _documents(
        page_sql: str, params, scores: dict[int, float | None], *, prepared: bool = False
    ) -> list[tuple[int, Hit]]:
        """The hits of ``page_sql``'s entry ids (with ``scores`` by id), in its order, each with its
        entry's id; an id no longer in the index is left out. ``prepared``: the statement is the same
        for every search (not the ORM's, whose page bounds are written in), so it is prepared."""
        with _prepared_cursor() if prepared else connection.cursor() as cursor:
            cursor.execute(documents_sql(page_sql), params)
            rows = cursor.fetchall()
        return [(row[0], Hit(document_from_row(row), float(scores.get(row[0]) or 0))) for row in rows]

    def _search(self, query: SearchQuery) -> SearchResult:
        entries = self.filtered(query)
        bands = {f"price:{key}": Count("pk", filter=_price_band(low, high)) for key, low, high in PRICE_BANDS} | {
            f"price:{QUOTE_BAND}": Count("pk", filter=Q(price__isnull=True))
        }
        bands |= {f"rating:{band}": Count("pk", filter=Q(rating__gte=float(band))) for band in RATING_BANDS}
        # One grouped query gives the category facet and, summed here, the total and the bands.
        categories = list(
            entries.order_by()
            .values("category_code", "category_name", "category_name_zh")
            .annotate(n=Count("pk"), **bands)
            .order_by("-n", "category_code")
        )
        page = list(self._ordered(entries, query).select_related("text")[query.offset : query.offset + query.page_size])
        provinces = (
            ListingRegion.objects.filter(counts_for_province=True, entry__in=entries.order_by().values("pk"))
            .values("province_code")
            .annotate(n=Count("pk"))
            .order_by("-n", "province_code")
        )
        hits = tuple(Hit(document_from_entry(entry), float(getattr(entry, "score", 0) or 0)) for entry in page)
        return search_result(query, categories, provinces, hits)


def _price_band(low, high) -> Q:
    condition = Q(price__isnull=False)
    if low is not None:
        condition &= Q(price__gte=low)
    if high is not None:
        condition &= Q(price__lt=high)
    return condition


def _prepared_cursor():
    """PostgreSQL: a cursor binding parameters on the server, whose statements psycopg prepares
    (the connection's ``prepare_threshold``, settings.py). Django's default cursor binds on the
    client, sending each statement with its values written in, to be planned anew: 1.2-1.9 ms of
    the search statement's 4-9. Prepared under the connection's ``plan_cache_mode``, a statement
    is planned once per connection and shape (its words and filters are parameters). psycopg
    forgets its prepared statements on any rollback, so a search runs in no transaction of its own.

    Where statements are logged (DEBUG, or a test capturing them), Django's own cursor: it records
    each statement with its values, which it cannot do for a prepared one."""
    if connection.queries_logged:
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3, PostgreSQL only

    connection.ensure_connection()
    connection.validate_thread_sharing()
    return connection.make_cursor(ServerBindingCursor(connection.connection))
