"""The Elasticsearch backend without a cluster: its mapping, analysers, queries and aggregations
as data, and its response handling against bodies recorded in the shape Elasticsearch 8 returns.

No Elasticsearch server can run here, so the request/response tests talk real HTTP through the
real ``elasticsearch`` client to a tiny loopback server that replays the recorded bodies (the
only stand-in, because a cluster cannot run on these machines) and records what it was sent.
"""

import json
import threading
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from search.backends import elasticsearch as es
from search.backends.base import SearchUnavailable
from search.documents import ListingDocument
from search.query import SearchQuery

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- mapping and analysers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "tokenizer"), [("ngram", "zh_ngram"), ("smartcn", "smartcn_tokenizer"), ("icu", "icu_tokenizer")]
)
def test_chinese_analyser_follows_the_setting(setting, tokenizer):
    body = es.index_body(setting)
    analysis = body["settings"]["analysis"]
    assert analysis["analyzer"]["zh_text"]["tokenizer"] == tokenizer
    assert ("tokenizer" in analysis) == (setting == "ngram")
    if setting == "ngram":
        # Uni- and bigrams: a two-character term such as 环评 is one token, no dictionary needed.
        assert analysis["tokenizer"]["zh_ngram"] | {} == {
            "type": "ngram",
            "min_gram": 1,
            "max_gram": 2,
            "token_chars": ["letter", "digit"],
        }


def test_unknown_chinese_analyser_is_refused():
    with pytest.raises(ValueError, match="SEARCH_ES_CHINESE_ANALYZER"):
        es.index_body("jieba")


def test_mapping_has_bilingual_text_keyword_facets_and_a_completion_field():
    properties = es.index_body("ngram")["mappings"]["properties"]
    assert properties["title"] == {"type": "text", "analyzer": "en_text", "fields": {"raw": {"type": "keyword"}}}
    assert properties["title_zh"]["analyzer"] == "zh_text"
    assert properties["description_zh"] == {"type": "text", "analyzer": "zh_text"}
    for facet in ("category_code", "category_path", "region_codes", "province_codes", "pricing_mode"):
        assert properties[facet] == {"type": "keyword"}
    assert properties["category_name_zh"]["fields"]["raw"] == {"type": "keyword"}
    assert properties["price"] == {"type": "double"}
    assert properties["rating"] == {"type": "float"}
    assert properties["suggest"] == {
        "type": "completion",
        "analyzer": "suggest_text",
        "search_analyzer": "suggest_text",
    }
    assert properties["url"] == {"type": "keyword", "index": False}


def test_documents_round_trip_through_source():
    document = ListingDocument(
        listing_id=5,
        title="Survey",
        title_zh="测量",
        category_code="surveying",
        category_path=("surveying",),
        region_codes=("610100", "440300"),
        price=Decimal("1234.50"),
        updated_at=datetime(2026, 11, 30, 8, tzinfo=UTC),
        extra_terms=("测绘",),
    )
    source = es.to_source(document)
    assert source["province_codes"] == ["440000", "610000"]
    assert source["suggest"] == {"input": ["Survey", "测量", "测绘"]}
    assert es.from_source(json.loads(json.dumps(source))) == document


# --- queries and aggregations as data ----------------------------------------------------------


def test_query_with_every_filter():
    query = SearchQuery(
        q="环评",
        category="eia",
        region="610100",
        price_min=Decimal("100"),
        price_max=Decimal("5000"),
        rating_min=Decimal("4"),
        max_days=30,
        certified=True,
        page=3,
        page_size=10,
    )
    body = es.build_search(query, "idx").to_dict()
    assert body["from"] == 20 and body["size"] == 10 and body["track_total_hits"] is True
    boolean = body["query"]["bool"]
    assert boolean["filter"] == [
        {"term": {"category_path": "eia"}},
        {"terms": {"region_codes": ["610100", "610000"]}},
        {"range": {"price": {"gte": 100.0, "lte": 5000.0}}},
        {"range": {"rating": {"gte": 4.0}}},
        {"range": {"service_days": {"lte": 30}}},
        {"term": {"certified": True}},
    ]
    should = boolean["must"][0]["function_score"]["query"]["bool"]["should"]
    assert should[0]["multi_match"]["fields"][:2] == ["title^10", "title_zh^10"]  # titles beat descriptions
    assert should[0]["multi_match"]["operator"] == "and"
    assert {"terms": {"category_code": ["eia"], "boost": 50}} in should  # the named service item first


def test_province_filter_uses_province_codes_and_no_query_matches_all():
    body = es.build_search(SearchQuery(region="610000", sort="price_asc"), "idx").to_dict()
    assert body["query"]["bool"] == {"must": [{"match_all": {}}], "filter": [{"term": {"province_codes": "610000"}}]}


def test_best_match_ranks_the_named_item_then_the_credit_grade_then_the_text():
    body = es.build_search(SearchQuery(q="环评"), "idx").to_dict()
    ranked = body["query"]["bool"]["must"][0]["function_score"]
    assert ranked["score_mode"] == "sum" and ranked["boost_mode"] == "sum"  # tiers add to the text score
    weights = [(function["filter"], function["weight"]) for function in ranked["functions"]]
    assert weights == [
        ({"terms": {"category_code": ["eia"]}}, es.NAMED_WEIGHT),
        *(({"term": {"credit_grade": grade}}, grade * es.GRADE_WEIGHT) for grade in range(1, 6)),
        ({"bool": {"must_not": [{"exists": {"field": "credit_grade"}}]}}, 3 * es.GRADE_WEIGHT),  # ungraded: middle
    ]
    # Five stars outweigh any text score, and the named item outweighs five stars.
    assert es.NAMED_WEIGHT > 5 * es.GRADE_WEIGHT + 10_000 and es.GRADE_WEIGHT >= 10_000
    assert body["sort"][0] == "_score"
    # Without a query the grade still orders best match; explicit sorts ignore it.
    no_text = es.build_search(SearchQuery(), "idx").to_dict()["query"]["bool"]["must"][0]["function_score"]
    assert no_text["query"] == {"match_all": {}} and len(no_text["functions"]) == 6
    for sort in ("price_asc", "price_desc", "rating", "service_days"):
        assert "function_score" not in str(es.build_search(SearchQuery(q="环评", sort=sort), "idx").to_dict())


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("relevance", "_score"),
        ("price_asc", {"price": {"order": "asc", "missing": "_last"}}),
        ("price_desc", {"price": {"order": "desc", "missing": "_last"}}),
        ("rating", {"rating": {"order": "desc", "missing": "_last"}}),
        ("service_days", {"service_days": {"order": "asc", "missing": "_last"}}),
    ],
)
def test_sorts(sort, first):
    body = es.build_search(SearchQuery(sort=sort), "idx").to_dict()
    assert body["sort"][0] == first
    assert body["sort"][-1] == {"listing_id": {"order": "asc"}}  # stable pages


def test_facet_aggregations():
    aggs = es.build_search(SearchQuery(), "idx").to_dict()["aggs"]
    assert aggs["category"]["terms"] == {"field": "category_code", "size": 100}
    assert aggs["category"]["aggs"]["name_zh"] == {"terms": {"field": "category_name_zh.raw", "size": 1}}
    assert aggs["region"] == {"terms": {"field": "province_codes", "size": 100}}
    assert aggs["price"]["range"]["ranges"][0] == {"key": "0-5000", "to": 5000.0}
    assert aggs["price_quote"] == {"missing": {"field": "price"}}
    assert aggs["rating"]["range"]["ranges"][0] == {"key": "4.5", "from": 4.5}


def test_suggest_request():
    body = es.build_suggest(" 环评 ", "idx").to_dict()
    assert body["size"] == 0
    assert body["suggest"] == {
        "listings": {"prefix": "环评", "completion": {"field": "suggest", "size": 8, "skip_duplicates": True}}
    }


# --- responses ---------------------------------------------------------------------------------


def test_search_response_becomes_a_result():
    result = es.parse_search_response(SearchQuery(q="环评", language="zh"), fixture("es_search_response.json"))
    assert result.total == 3
    first, second = (hit.document for hit in result.hits)
    assert (first.listing_id, first.price, first.rating, first.region_codes) == (
        17,
        Decimal("18000.00"),
        4.62,
        ("610100",),
    )
    assert first.updated_at == datetime(2026, 11, 30, 15, 20, 1, 123456, tzinfo=UTC)
    assert (second.price, second.pricing_mode, second.service_days) == (None, "quote", None)
    facets = result.facets
    assert [(v.value, v.count, v.label) for v in facets["category"].values] == [
        ("eia", 2, "环境影响评价"),
        ("surveying", 1, "测绘服务"),
    ]
    assert [(v.value, v.count) for v in facets["region"].values] == [("610000", 3), ("440000", 1)]
    assert [(v.value, v.count) for v in facets["price"].values] == [("0-5000", 1), ("5000-20000", 1), ("quote", 1)]
    assert [(v.value, v.count) for v in facets["rating"].values] == [("4.5", 1), ("4", 2), ("3.5", 2), ("3", 2)]


def test_english_labels_come_from_the_english_names():
    result = es.parse_search_response(SearchQuery(), fixture("es_search_response.json"))
    assert result.facets["category"].values[0].label == "Environmental impact assessment"


def test_suggest_response_offers_the_service_item_then_titles():
    suggestions = es.parse_suggest_response(fixture("es_suggest_response.json"), "环评", "zh")
    assert [(s.kind, s.value, s.text) for s in suggestions] == [
        ("category", "eia", "环境影响评价"),
        ("listing", "31", "环评报告快速编制"),
    ]


# --- the backend over HTTP, against recorded bodies --------------------------------------------


class Recorded(BaseHTTPRequestHandler):
    routes: dict = {}
    requests: list = []

    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.requests.append((self.command, self.path.split("?")[0], body))
        status, payload = 200, {"acknowledged": True}
        for (method, prefix), answer in self.routes.items():
            if method == self.command and self.path.startswith(prefix):
                status, payload = answer
                break
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _reply

    def log_message(self, *args):
        pass


@pytest.fixture
def recorded(settings):
    Recorded.routes, Recorded.requests = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SEARCH_ES_INDEX = "onewindow-listings"
    yield Recorded
    server.shutdown()
    server.server_close()


def test_backend_search_sends_the_query_and_reads_the_answer(recorded):
    recorded.routes[("POST", "/onewindow-listings/_search")] = (200, fixture("es_search_response.json"))
    result = es.ElasticsearchBackend().search(SearchQuery(q="环评", region="610100"))
    assert result.total == 3 and [h.document.listing_id for h in result.hits] == [17, 23]
    method, path, body = recorded.requests[-1]
    assert json.loads(body)["query"]["bool"]["filter"] == [{"terms": {"region_codes": ["610100", "610000"]}}]


def test_a_missing_index_means_no_results(recorded):
    recorded.routes[("POST", "/onewindow-listings/_search")] = (404, fixture("es_error_response.json"))
    assert es.ElasticsearchBackend().search(SearchQuery(q="x")).total == 0


def test_a_cluster_error_becomes_search_unavailable(recorded):
    recorded.routes[("POST", "/onewindow-listings/_search")] = (
        500,
        {"error": {"type": "search_phase_execution_exception", "reason": "all shards failed"}, "status": 500},
    )
    with pytest.raises(SearchUnavailable):
        es.ElasticsearchBackend().search(SearchQuery(q="x"))


def test_rebuild_loads_a_new_index_then_swaps_the_alias_atomically(recorded):
    old = "onewindow-listings-20260101000000000000"
    recorded.routes[("GET", "/_alias/onewindow-listings")] = (200, {old: {"aliases": {"onewindow-listings": {}}}})
    recorded.routes[("PUT", "/_bulk")] = (
        200,
        {
            "took": 3,
            "errors": False,
            "items": [{"index": {"_id": "1", "status": 201}}, {"index": {"_id": "2", "status": 201}}],
        },
    )
    documents = [ListingDocument(listing_id=n, title=f"Listing {n}") for n in (1, 2)]
    assert es.ElasticsearchBackend().rebuild(documents) == 2
    calls = [(method, path) for method, path, _ in recorded.requests]
    created = next(path for method, path in calls if method == "PUT")
    assert created.startswith("/onewindow-listings-") and created != f"/{old}"
    assert calls.index(("PUT", created)) < calls.index(("PUT", "/_bulk")) < calls.index(("POST", "/_aliases"))
    aliases = json.loads(next(body for method, path, body in recorded.requests if path == "/_aliases"))
    assert aliases["actions"] == [
        {"remove": {"index": old, "alias": "onewindow-listings"}},
        {"add": {"index": created.lstrip("/"), "alias": "onewindow-listings"}},
    ]
    assert calls[-1] == ("DELETE", f"/{old}")
    bulk = next(body for method, path, body in recorded.requests if path.endswith("/_bulk"))
    lines = [json.loads(line) for line in bulk.strip().splitlines()]
    assert lines[0] == {"index": {"_index": created.lstrip("/"), "_id": 1}}
