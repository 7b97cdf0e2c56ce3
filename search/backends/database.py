"""The embedded default: search over ``search.ListingIndexEntry`` with the ORM.

The same queries run on SQLite and PostgreSQL; on PostgreSQL the text lookups hit the pg_trgm
GIN indexes of migration 0002 and a trigram "word similarity" clause forgives typos in Latin
words. Every search costs four queries whatever the result size: the page of hits, one
aggregate (total, price and rating bands), the category facet and the region facet.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from marketplace.core.regions import get_region

from ..documents import ListingDocument
from ..models import ListingIndexEntry, ListingRegion
from ..query import PRICE_BANDS, QUOTE_BAND, RATING_BANDS, Facet, FacetValue, Hit, SearchQuery, SearchResult, has_cjk
from .base import BATCH_SIZE, SearchBackend, Suggestion, batched

ENTRY_FIELDS = (
    "listing_id",
    "provider_id",
    "provider_name",
    "provider_name_zh",
    "title",
    "title_zh",
    "description",
    "description_zh",
    "category_id",
    "category_code",
    "category_name",
    "category_name_zh",
    "pricing_mode",
    "price",
    "currency",
    "service_days",
    "rating",
    "rating_count",
    "certified",
    "credit_grade",
    "url",
    "updated_at",
)
# Relevance weights: a word in the title beats one in the description; a query that names the
# service item (by name or abbreviation) puts that item's listings first.
CATEGORY_WEIGHT, TITLE_WEIGHT, TEXT_WEIGHT = 50, 10, 1


def entry_from_document(document: ListingDocument) -> ListingIndexEntry:
    values = {name: getattr(document, name) for name in ENTRY_FIELDS}
    title_text = " ".join([document.title, document.title_zh]).lower()
    search_text = " ".join(
        [
            document.title,
            document.title_zh,
            document.provider_name,
            document.provider_name_zh,
            document.category_name,
            document.category_name_zh,
            " ".join(document.extra_terms),
            document.description,
            document.description_zh,
        ]
    ).lower()
    return ListingIndexEntry(
        **values,
        category_path="/" + "".join(f"{code}/" for code in document.category_path),
        region_codes=" ".join(document.region_codes),
        extra_terms=" ".join(document.extra_terms)[:512],
        title_text=title_text[:1024],
        search_text=search_text,
    )


def document_from_entry(entry: ListingIndexEntry) -> ListingDocument:
    values = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    return ListingDocument(
        **values,
        category_path=tuple(code for code in entry.category_path.split("/") if code),
        region_codes=tuple(entry.region_codes.split()),
        extra_terms=tuple(entry.extra_terms.split()),
    )


class DatabaseBackend(SearchBackend):
    name = "database"

    # --- writing ------------------------------------------------------------------------------

    @transaction.atomic
    def index(self, documents: Iterable[ListingDocument]) -> int:
        written = 0
        for batch in batched(documents, BATCH_SIZE):
            ListingIndexEntry.objects.filter(listing_id__in=[d.listing_id for d in batch]).delete()
            entries = ListingIndexEntry.objects.bulk_create([entry_from_document(d) for d in batch])
            if connection.features.can_return_rows_from_bulk_insert:
                ids = {entry.listing_id: entry.pk for entry in entries}
            else:  # old SQLite: ask for the ids the insert gave
                ids = dict(
                    ListingIndexEntry.objects.filter(listing_id__in=[d.listing_id for d in batch]).values_list(
                        "listing_id", "pk"
                    )
                )
            ListingRegion.objects.bulk_create(
                ListingRegion(entry_id=ids[d.listing_id], code=code, province_code=code[:2] + "0000")
                for d in batch
                for code in dict.fromkeys(d.region_codes)
            )
            written += len(batch)
        return written

    def remove(self, listing_ids: Iterable[int]) -> None:
        ListingIndexEntry.objects.filter(listing_id__in=list(listing_ids)).delete()

    def clear(self) -> None:
        ListingRegion.objects.all().delete()
        ListingIndexEntry.objects.all().delete()

    def count(self) -> int:
        return ListingIndexEntry.objects.count()

    def rebuild(self, documents, *, batch_size=BATCH_SIZE, progress=None) -> int:
        # One transaction: on PostgreSQL searches keep seeing the old index until the new one commits.
        with transaction.atomic():
            return super().rebuild(documents, batch_size=batch_size, progress=progress)

    # --- reading ------------------------------------------------------------------------------

    def _text_filter(self, query: SearchQuery) -> Q:
        """Every word must match somewhere; a word naming a service item matches that item's listings."""
        condition = Q()
        postgres = connection.vendor == "postgresql"
        for term in query.terms:
            from ..query import category_codes_for_term

            alternatives = Q(search_text__contains=term)
            codes = category_codes_for_term(term)
            if codes:
                alternatives |= Q(category_code__in=codes)
            if postgres and not has_cjk(term) and len(term) >= 4:
                alternatives |= Q(title_text__trigram_word_similar=term)
            condition &= alternatives
        whole = query.q.strip().lower()
        codes = query.expanded_categories
        if codes and len(query.terms) > 1:
            # "environmental assessment" names eia as a phrase even though each word alone does not
            condition |= Q(category_code__in=codes)
        if whole and len(query.terms) > 1:
            condition |= Q(category_name__iexact=whole) | Q(category_name_zh=whole)
        return condition

    def filtered(self, query: SearchQuery) -> QuerySet:
        entries = ListingIndexEntry.objects.all()
        if query.terms:
            entries = entries.filter(self._text_filter(query))
        if query.category:
            entries = entries.filter(category_path__contains=f"/{query.category}/")
        if query.region and (region := get_region(query.region)):
            if region.is_province:
                served = ListingRegion.objects.filter(province_code=region.code)
            else:  # a city is served by listings for the city itself or its whole province
                served = ListingRegion.objects.filter(code__in=[region.code, region.province_code])
            entries = entries.filter(Exists(served.filter(entry=OuterRef("pk"))))
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

    def _score(self, query: SearchQuery):
        whole = query.q.strip().lower()
        score = Value(0, output_field=IntegerField())
        category_match = Q(category_name__iexact=whole) | Q(category_name_zh=whole)
        if query.expanded_categories:
            category_match |= Q(category_code__in=query.expanded_categories)
        score = score + Case(When(category_match, then=Value(CATEGORY_WEIGHT)), default=Value(0))
        for term in query.terms:
            score = score + Case(When(title_text__contains=term, then=Value(TITLE_WEIGHT)), default=Value(0))
            score = score + Case(When(search_text__contains=term, then=Value(TEXT_WEIGHT)), default=Value(0))
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
        elif query.terms:
            entries = entries.annotate(score=self._score(query))
            order = (F("score").desc(), *best_rated)
        else:
            order = (F("certified").desc(), *best_rated)
        return entries.order_by(*order, "listing_id")

    def search(self, query: SearchQuery) -> SearchResult:
        entries = self.filtered(query)
        bands = {f"price:{key}": Count("pk", filter=_price_band(low, high)) for key, low, high in PRICE_BANDS} | {
            f"price:{QUOTE_BAND}": Count("pk", filter=Q(price__isnull=True))
        }
        bands |= {f"rating:{band}": Count("pk", filter=Q(rating__gte=float(band))) for band in RATING_BANDS}
        counts = entries.aggregate(total=Count("pk"), **bands)
        total = counts.pop("total")

        page = list(self._ordered(entries, query)[query.offset : query.offset + query.page_size])
        categories = (
            entries.order_by()
            .values("category_code", "category_name", "category_name_zh")
            .annotate(n=Count("pk"))
            .order_by("-n", "category_code")
        )
        provinces = (
            ListingRegion.objects.filter(entry__in=entries.order_by().values("pk"))
            .values("province_code")
            .annotate(n=Count("entry", distinct=True))
            .order_by("-n", "province_code")
        )
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
                tuple(
                    FacetValue(key.split(":", 1)[1], n) for key, n in counts.items() if key.startswith("price:") and n
                ),
            ),
            "rating": Facet(
                "rating",
                tuple(
                    FacetValue(key.split(":", 1)[1], n) for key, n in counts.items() if key.startswith("rating:") and n
                ),
            ),
        }
        hits = tuple(Hit(document_from_entry(entry), float(getattr(entry, "score", 0) or 0)) for entry in page)
        return SearchResult(query=query, hits=hits, total=total, facets=facets)

    def suggest(self, prefix: str, language: str, *, limit: int = 8) -> list[Suggestion]:
        term = prefix.strip().lower()[:50]
        if not term:
            return []
        from ..query import category_codes_for_term

        zh = language.lower().startswith("zh")
        codes = category_codes_for_term(term)
        category_match = Q(category_name__istartswith=term) | Q(category_name_zh__startswith=term)
        if codes:
            category_match |= Q(category_code__in=codes)
        if len(term) > 1:
            category_match |= Q(category_name__icontains=term) | Q(category_name_zh__contains=term)
        categories = (
            ListingIndexEntry.objects.filter(category_match)
            .exclude(category_code="")
            .values("category_code", "category_name", "category_name_zh")
            .annotate(n=Count("pk"))
            .order_by("-n")[:3]
        )
        suggestions = [
            Suggestion(
                text=(zh and row["category_name_zh"]) or row["category_name"],
                kind="category",
                value=row["category_code"],
            )
            for row in categories
        ]
        listings = (
            ListingIndexEntry.objects.filter(title_text__contains=term)
            .order_by(F("rating").desc(nulls_last=True), "listing_id")
            .values("listing_id", "title", "title_zh", "url")[: limit - len(suggestions)]
        )
        suggestions += [
            Suggestion(
                text=(zh and row["title_zh"]) or row["title"],
                kind="listing",
                value=str(row["listing_id"]),
                url=row["url"],
            )
            for row in listings
        ]
        return suggestions


def _price_band(low, high) -> Q:
    condition = Q(price__isnull=False)
    if low is not None:
        condition &= Q(price__gte=low)
    if high is not None:
        condition &= Q(price__lt=high)
    return condition
