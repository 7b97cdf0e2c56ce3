"""Elasticsearch backend: the only module that imports ``elasticsearch`` / ``elasticsearch_dsl``.

The index is versioned behind an alias (``SEARCH_ES_INDEX``): ``rebuild`` creates
``<alias>-<timestamp>``, bulk-loads it, swaps the alias in one atomic ``_aliases`` call and
deletes the old index, so searches never see a half-built index. Chinese text is analysed by
``SEARCH_ES_CHINESE_ANALYZER``: ``smartcn`` or ``icu`` when the cluster has that plugin, else
``ngram`` (uni- and bigrams, which find two-character terms such as 环评 without a dictionary).

Everything that builds a request (``index_body``, ``build_search``, ``build_suggest``) or reads a
response (``parse_search_response``, ``parse_suggest_response``) is a pure function, tested as
data without a cluster.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.utils import timezone
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from elasticsearch import helpers as es_helpers
from elasticsearch_dsl import (
    Boolean,
    Completion,
    Date,
    Document,
    Double,
    Float,
    Integer,
    Keyword,
    Long,
    Q,
    Search,
    Text,
)

from marketplace.core.regions import get_region

from ..documents import ListingDocument
from ..query import (
    PRICE_BANDS,
    QUOTE_BAND,
    RATING_BANDS,
    UNGRADED_TIER,
    Facet,
    FacetValue,
    Hit,
    SearchQuery,
    SearchResult,
)
from .base import BATCH_SIZE, SearchBackend, SearchUnavailable, Suggestion, batched

ZH, EN, SUGGEST = "zh_text", "en_text", "suggest_text"
CHINESE_ANALYZERS = ("ngram", "smartcn", "icu")


class ListingIndexDocument(Document):
    """The mapping of one listing. Analysers are referenced by name; ``analysis_settings`` defines them."""

    listing_id = Long()
    provider_id = Long()
    provider_name = Text(analyzer=EN, fields={"raw": Keyword()})
    provider_name_zh = Text(analyzer=ZH, fields={"raw": Keyword()})
    title = Text(analyzer=EN, fields={"raw": Keyword()})
    title_zh = Text(analyzer=ZH, fields={"raw": Keyword()})
    description = Text(analyzer=EN)
    description_zh = Text(analyzer=ZH)
    category_id = Long()
    category_code = Keyword()
    category_path = Keyword()
    category_name = Text(analyzer=EN, fields={"raw": Keyword()})
    category_name_zh = Text(analyzer=ZH, fields={"raw": Keyword()})
    extra_terms = Text(analyzer=ZH, fields={"raw": Keyword()})
    region_codes = Keyword()
    province_codes = Keyword()
    pricing_mode = Keyword()
    price = Double()
    currency = Keyword()
    service_days = Integer()
    rating = Float()
    rating_count = Integer()
    certified = Boolean()
    credit_grade = Integer()
    url = Keyword(index=False)
    updated_at = Date()
    suggest = Completion(analyzer=SUGGEST, search_analyzer=SUGGEST)


def analysis_settings(chinese: str) -> dict:
    if chinese not in CHINESE_ANALYZERS:
        raise ValueError(f"SEARCH_ES_CHINESE_ANALYZER must be one of {CHINESE_ANALYZERS}")
    tokenizers = {}
    if chinese == "smartcn":
        zh_tokenizer = "smartcn_tokenizer"
    elif chinese == "icu":
        zh_tokenizer = "icu_tokenizer"
    else:
        zh_tokenizer = "zh_ngram"
        tokenizers["zh_ngram"] = {
            "type": "ngram",
            "min_gram": 1,
            "max_gram": 2,
            "token_chars": ["letter", "digit"],
        }
    analysis = {
        "analyzer": {
            ZH: {"type": "custom", "tokenizer": zh_tokenizer, "filter": ["lowercase", "cjk_width"]},
            EN: {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "porter_stem"]},
            SUGGEST: {"type": "custom", "tokenizer": "keyword", "filter": ["lowercase", "cjk_width"]},
        }
    }
    if tokenizers:
        analysis["tokenizer"] = tokenizers
    return analysis


def index_body(chinese: str | None = None) -> dict:
    """The body of the create-index request: settings with analysers, and the mapping."""
    chinese = chinese or settings.SEARCH_ES_CHINESE_ANALYZER
    return {
        "settings": {"number_of_shards": 1, "analysis": analysis_settings(chinese), "max_ngram_diff": 1},
        "mappings": ListingIndexDocument._doc_type.mapping.to_dict(),
    }


def to_source(document: ListingDocument) -> dict:
    inputs = [document.title, document.title_zh, document.category_name, document.category_name_zh]
    inputs += list(document.extra_terms)
    return {
        "listing_id": document.listing_id,
        "provider_id": document.provider_id,
        "provider_name": document.provider_name,
        "provider_name_zh": document.provider_name_zh,
        "title": document.title,
        "title_zh": document.title_zh,
        "description": document.description,
        "description_zh": document.description_zh,
        "category_id": document.category_id,
        "category_code": document.category_code,
        "category_path": list(document.category_path),
        "category_name": document.category_name,
        "category_name_zh": document.category_name_zh,
        "extra_terms": list(document.extra_terms),
        "region_codes": list(document.region_codes),
        "province_codes": list(document.province_codes),
        "pricing_mode": document.pricing_mode,
        "price": None if document.price is None else float(document.price),
        "currency": document.currency,
        "service_days": document.service_days,
        "rating": document.rating,
        "rating_count": document.rating_count,
        "certified": document.certified,
        "credit_grade": document.credit_grade,
        "url": document.url,
        "updated_at": document.updated_at.isoformat() if document.updated_at else None,
        "suggest": {"input": [text for text in dict.fromkeys(inputs) if text]},
    }


def from_source(source: dict) -> ListingDocument:
    price = source.get("price")
    updated = source.get("updated_at")
    return ListingDocument(
        listing_id=int(source["listing_id"]),
        provider_id=source.get("provider_id"),
        provider_name=source.get("provider_name") or "",
        provider_name_zh=source.get("provider_name_zh") or "",
        title=source.get("title") or "",
        title_zh=source.get("title_zh") or "",
        description=source.get("description") or "",
        description_zh=source.get("description_zh") or "",
        category_id=source.get("category_id"),
        category_code=source.get("category_code") or "",
        category_path=tuple(source.get("category_path") or ()),
        category_name=source.get("category_name") or "",
        category_name_zh=source.get("category_name_zh") or "",
        region_codes=tuple(source.get("region_codes") or ()),
        pricing_mode=source.get("pricing_mode") or "fixed",
        # Prices are stored as doubles; two decimals restore the CNY amount exactly.
        price=None if price is None else Decimal(str(price)).quantize(Decimal("0.01")),
        currency=source.get("currency") or "CNY",
        service_days=source.get("service_days"),
        rating=source.get("rating"),
        rating_count=source.get("rating_count") or 0,
        certified=bool(source.get("certified", True)),
        credit_grade=source.get("credit_grade"),
        url=source.get("url") or "",
        updated_at=datetime.fromisoformat(updated) if updated else None,
        extra_terms=tuple(source.get("extra_terms") or ()),
    )


TEXT_FIELDS = (
    "title^10",
    "title_zh^10",
    "category_name^5",
    "category_name_zh^5",
    "extra_terms^5",
    "provider_name^2",
    "provider_name_zh^2",
    "description",
    "description_zh",
)


def _filters(query: SearchQuery) -> list:
    filters = []
    if query.category:
        filters.append(Q("term", category_path=query.category))
    if query.region and (region := get_region(query.region)):
        if region.is_province:
            filters.append(Q("term", province_codes=region.code))
        else:
            filters.append(Q("terms", region_codes=[region.code, region.province_code]))
    price = {}
    if query.price_min is not None:
        price["gte"] = float(query.price_min)
    if query.price_max is not None:
        price["lte"] = float(query.price_max)
    if price:
        filters.append(Q("range", price=price))
    if query.rating_min is not None:
        filters.append(Q("range", rating={"gte": float(query.rating_min)}))
    if query.max_days is not None:
        filters.append(Q("range", service_days={"lte": query.max_days}))
    if query.certified is not None:
        filters.append(Q("term", certified=query.certified))
    return filters


# Best match adds these to the text score, so the order is the database backend's: the service
# item the query names, then the credit grade tier, then the text match (BM25 scores with these
# field boosts stay far below GRADE_WEIGHT; Elasticsearch scores are 32-bit floats, and at the
# largest sum, about 160,000, they still tell text scores 0.02 apart).
NAMED_WEIGHT, GRADE_WEIGHT = 100_000, 10_000


def _ranked(text: Q, query: SearchQuery) -> Q:
    """``text`` with the named-service-item and credit-grade tiers added to its score."""
    functions = []
    if query.q.strip() and query.expanded_categories:
        functions.append({"filter": Q("terms", category_code=list(query.expanded_categories)), "weight": NAMED_WEIGHT})
    functions += [{"filter": Q("term", credit_grade=grade), "weight": grade * GRADE_WEIGHT} for grade in range(1, 6)]
    functions.append(
        {"filter": Q("bool", must_not=[Q("exists", field="credit_grade")]), "weight": UNGRADED_TIER * GRADE_WEIGHT}
    )
    return Q("function_score", query=text, functions=functions, score_mode="sum", boost_mode="sum")


def build_search(query: SearchQuery, index: str | None = None) -> Search:
    """The whole search request: text query, filters, sort, page and facet aggregations."""
    search = Search(index=index or settings.SEARCH_ES_INDEX)
    if query.q.strip():
        should = [
            Q("multi_match", query=query.q, fields=list(TEXT_FIELDS), type="best_fields", operator="and"),
            # Typos in Latin words; the Chinese n-grams need no fuzziness.
            Q(
                "multi_match",
                query=query.q,
                fields=["title", "category_name", "extra_terms"],
                fuzziness="AUTO",
                boost=0.5,
            ),
        ]
        if query.expanded_categories:
            # The query names a service item (环评, EIA...): its listings come first.
            should.append(Q("terms", category_code=list(query.expanded_categories), boost=50))
        text = Q("bool", should=should, minimum_should_match=1)
    else:
        text = Q("match_all")
    if query.sort == "relevance":
        text = _ranked(text, query)
    search = search.query(Q("bool", must=[text], filter=_filters(query)))
    best_rated = [{"rating": {"order": "desc", "missing": "_last"}}, {"rating_count": {"order": "desc"}}]
    sorts = {
        "price_asc": [{"price": {"order": "asc", "missing": "_last"}}, *best_rated],
        "price_desc": [{"price": {"order": "desc", "missing": "_last"}}, *best_rated],
        "rating": best_rated,
        "service_days": [{"service_days": {"order": "asc", "missing": "_last"}}, *best_rated],
        "relevance": ["_score", *best_rated],
    }
    search = search.sort(*sorts[query.sort], {"listing_id": {"order": "asc"}})
    search = search.extra(track_total_hits=True, from_=query.offset, size=query.page_size)
    category = search.aggs.bucket("category", "terms", field="category_code", size=100)
    category.bucket("name", "terms", field="category_name.raw", size=1)
    category.bucket("name_zh", "terms", field="category_name_zh.raw", size=1)
    search.aggs.bucket("region", "terms", field="province_codes", size=100)
    ranges = []
    for key, low, high in PRICE_BANDS:
        band = {"key": key}
        if low is not None:
            band["from"] = float(low)
        if high is not None:
            band["to"] = float(high)
        ranges.append(band)
    search.aggs.bucket("price", "range", field="price", ranges=ranges)
    search.aggs.bucket("price_quote", "missing", field="price")
    search.aggs.bucket(
        "rating", "range", field="rating", ranges=[{"key": str(band), "from": float(band)} for band in RATING_BANDS]
    )
    return search


def parse_search_response(query: SearchQuery, body: dict) -> SearchResult:
    """A SearchResult from the JSON body Elasticsearch 8 returns for ``build_search``."""
    hits = tuple(
        Hit(from_source(hit["_source"]), float(hit.get("_score") or 0.0))
        for hit in body.get("hits", {}).get("hits", [])
    )
    total = body.get("hits", {}).get("total", {})
    total = total.get("value", 0) if isinstance(total, dict) else int(total or 0)
    aggs = body.get("aggregations", {})
    zh = query.language == "zh"

    def label(bucket):
        names = (bucket.get("name_zh" if zh else "name") or {}).get("buckets") or []
        fallback = (bucket.get("name") or {}).get("buckets") or []
        return (names or fallback or [{"key": bucket["key"]}])[0]["key"]

    facets = {
        "category": Facet(
            "category",
            tuple(FacetValue(b["key"], b["doc_count"], label(b)) for b in aggs.get("category", {}).get("buckets", [])),
        ),
        "region": Facet(
            "region", tuple(FacetValue(b["key"], b["doc_count"]) for b in aggs.get("region", {}).get("buckets", []))
        ),
    }
    price = [FacetValue(b["key"], b["doc_count"]) for b in _buckets(aggs.get("price")) if b["doc_count"]]
    quote = aggs.get("price_quote", {}).get("doc_count", 0)
    if quote:
        price.append(FacetValue(QUOTE_BAND, quote))
    facets["price"] = Facet("price", tuple(price))
    facets["rating"] = Facet(
        "rating", tuple(FacetValue(b["key"], b["doc_count"]) for b in _buckets(aggs.get("rating")) if b["doc_count"])
    )
    return SearchResult(query=query, hits=hits, total=total, facets=facets)


def _buckets(agg: dict | None) -> list[dict]:
    buckets = (agg or {}).get("buckets", [])
    if isinstance(buckets, dict):  # keyed=true responses
        return [{"key": key, **value} for key, value in buckets.items()]
    return buckets


def build_suggest(prefix: str, index: str | None = None, *, limit: int = 8) -> Search:
    search = Search(index=index or settings.SEARCH_ES_INDEX).source(
        ["listing_id", "title", "title_zh", "category_code", "category_name", "category_name_zh", "url"]
    )
    return search.suggest(
        "listings", prefix.strip().lower(), completion={"field": "suggest", "size": limit, "skip_duplicates": True}
    ).extra(size=0)


def parse_suggest_response(body: dict, prefix: str, language: str, *, limit: int = 8) -> list[Suggestion]:
    """Service items first (when the prefix names one), then listing titles, without duplicates."""
    zh = language.lower().startswith("zh")
    options = []
    for entry in body.get("suggest", {}).get("listings", []):
        options.extend(entry.get("options", []))
    categories, listings, seen = [], [], set()
    term = prefix.strip().lower()
    for option in options:
        source = option.get("_source", {})
        matched = (option.get("text") or "").lower()
        names = {(source.get("category_name") or "").lower(), source.get("category_name_zh") or ""}
        code = source.get("category_code") or ""
        if (
            code
            and ("category", code) not in seen
            and (
                matched in names
                or not any((t or "").lower().startswith(term) for t in (source.get("title"), source.get("title_zh")))
            )
        ):
            seen.add(("category", code))
            name = (zh and source.get("category_name_zh")) or source.get("category_name") or code
            categories.append(Suggestion(text=name, kind="category", value=code))
            continue
        key = ("listing", source.get("listing_id"))
        if key in seen:
            continue
        seen.add(key)
        title = (zh and source.get("title_zh")) or source.get("title") or ""
        listings.append(
            Suggestion(text=title, kind="listing", value=str(source.get("listing_id")), url=source.get("url", ""))
        )
    return (categories[:3] + listings)[:limit]


@cache
def _client(url: str, timeout: float) -> Elasticsearch:
    return Elasticsearch(url, request_timeout=timeout)


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self):
        self.alias = settings.SEARCH_ES_INDEX
        self.client = _client(settings.ELASTICSEARCH_URL, settings.SEARCH_ES_TIMEOUT)

    # --- index management ---------------------------------------------------------------------

    def _new_index_name(self) -> str:
        return f"{self.alias}-{timezone.now():%Y%m%d%H%M%S%f}"

    def _current_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []

    def ensure_index(self) -> None:
        """Create the first versioned index and its alias when neither exists."""
        if not self._current_indices():
            name = self._new_index_name()
            self.client.indices.create(index=name, **index_body())
            self.client.indices.put_alias(index=name, name=self.alias)

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.alias)

    def _bulk(self, actions) -> int:
        try:
            written, _errors = es_helpers.bulk(self.client, actions, raise_on_error=False, raise_on_exception=True)
        except (ApiError, TransportError) as error:
            raise SearchUnavailable(str(error)) from error
        return written

    def index(self, documents: Iterable[ListingDocument], *, index: str | None = None) -> int:
        if index is None:
            self.ensure_index()
        target = index or self.alias
        return self._bulk(
            {"_op_type": "index", "_index": target, "_id": d.listing_id, "_source": to_source(d)} for d in documents
        )

    def remove(self, listing_ids: Iterable[int]) -> None:
        self.ensure_index()
        self._bulk({"_op_type": "delete", "_index": self.alias, "_id": pk} for pk in listing_ids)

    def clear(self) -> None:
        self.ensure_index()
        self.client.delete_by_query(index=self.alias, query={"match_all": {}}, refresh=True, conflicts="proceed")

    def count(self) -> int:
        self.ensure_index()
        return self.client.count(index=self.alias)["count"]

    def rebuild(self, documents, *, batch_size=BATCH_SIZE, progress=None) -> int:
        """Zero downtime: load a new index, then swap the alias atomically and drop the old one."""
        old = self._current_indices()
        name = self._new_index_name()
        self.client.indices.create(index=name, **index_body())
        total = 0
        for batch in batched(documents, batch_size):
            total += self.index(batch, index=name)
            if progress:
                progress(len(batch))
        self.client.indices.refresh(index=name)
        actions = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        actions.append({"add": {"index": name, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        for index in old:
            self.client.indices.delete(index=index, ignore_unavailable=True)
        return total

    # --- reading ------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        request = build_search(query, self.alias).to_dict()
        try:
            body = self.client.search(index=self.alias, body=request).body
        except NotFoundError:
            return SearchResult(query=query, hits=(), total=0, facets={})
        except (ApiError, TransportError) as error:
            raise SearchUnavailable(str(error)) from error
        return parse_search_response(query, body)

    def suggest(self, prefix: str, language: str, *, limit: int = 8) -> list[Suggestion]:
        if not prefix.strip():
            return []
        try:
            body = self.client.search(
                index=self.alias, body=build_suggest(prefix, self.alias, limit=limit).to_dict()
            ).body
        except NotFoundError:
            return []
        except (ApiError, TransportError) as error:
            raise SearchUnavailable(str(error)) from error
        return parse_suggest_response(body, prefix, language, limit=limit)
