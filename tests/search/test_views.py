"""The search page, the JSON API and the autocomplete endpoint, on the default database backend."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_listings(listing):
    eia = listing(
        title="Environmental impact assessment for factories",
        title_zh="工厂环境影响评价",
        category="eia",
        regions=("610100",),
        price=12000,
    )
    survey = listing(
        title="Topographic survey", title_zh="地形测量", category="surveying", regions=("440300",), price=4000
    )
    return eia, survey


def test_search_page_shows_hits_facets_and_highlights(client, two_listings):
    response = client.get("/search/", {"q": "environmental factories"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>Environmental</mark> impact assessment for <mark>factories</mark>" in html
    assert "search-facet--category" in html and "search-facet--region" in html
    assert "Shaanxi" in html  # the province facet of a Xi'an listing
    assert "1 listing" in html


def test_titles_and_queries_are_escaped(client, listing):
    listing(title='<script>alert("x")</script> survey', category="surveying")
    response = client.get("/search/", {"q": "<script>"})
    html = response.content.decode()
    assert '<script>alert("x")' not in html
    assert "<mark>&lt;script&gt;</mark>alert" in html


def test_active_filters_are_removable_and_empty_results_suggest_relaxing(client, two_listings):
    response = client.get("/search/", {"q": "survey", "region": "610100"})
    html = response.content.decode()
    assert "No listing matches your search." in html
    assert "Try removing a filter" in html
    assert 'href="/search/?q=survey"' in html  # the "remove region" link keeps the query


def test_bad_parameters_give_messages_not_errors(client, two_listings):
    response = client.get(
        "/search/", {"price_min": "-1", "sort": "cheapest", "page": "999", "q": "x" * 10_000, "region": "zz"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "price filter was ignored" in html
    assert "Unknown sort order" in html
    assert "only its first 200 characters were used" in html


def test_a_page_past_the_end_shows_the_last_page(client, two_listings):
    response = client.get("/api/search/", {"page": "50"})
    data = response.json()
    assert data["page"]["number"] == 1 and data["total"] == 2
    assert any("no page 50" in error for error in data["errors"])


def test_chinese_pages_show_chinese_titles(client, two_listings):
    response = client.get("/zh-hans/search/", {"q": "环评"})
    html = response.content.decode()
    assert "工厂环境影响评价" in html
    assert "/zh-hans/catalogue/" in html  # listing links stay in Chinese


def test_api_returns_hits_total_facets_and_page(client, two_listings):
    eia, _ = two_listings
    data = client.get("/api/search/", {"q": "EIA", "price_max": "20000"}).json()
    assert data["total"] == 1
    hit = data["hits"][0]
    assert hit["listing_id"] == eia.pk and hit["price"] == "12000.00" and hit["currency"] == "CNY"
    assert {facet["name"] for facet in data["facets"]} == {"category", "region", "price", "rating"}
    assert data["page"] == {
        "number": 1,
        "size": 20,
        "count": 1,
        "has_previous": False,
        "has_next": False,
        "previous_url": None,
        "next_url": None,
    }
    assert data["errors"] == []


def test_api_reports_bad_parameters(client, two_listings):
    response = client.get("/api/search/", {"price_max": "-3", "sort": "nope"})
    assert response.status_code == 200
    assert len(response.json()["errors"]) == 2 and response.json()["total"] == 2


def test_suggest_endpoint(client, two_listings):
    data = client.get("/api/search/suggest/", {"q": "环评"}).json()
    assert data["suggestions"][0] == {
        "text": "Environmental impact assessment",
        "kind": "category",
        "value": "eia",
        "url": "/search/?category=eia",
    }
    assert client.get("/api/search/suggest/", {"q": ""}).json() == {"suggestions": []}
    zh = client.get("/zh-hans/api/search/suggest/", {"q": "地形"}).json()
    assert zh["suggestions"][0]["text"] == "地形测量" and zh["suggestions"][0]["url"].startswith("/zh-hans/")


def test_every_page_has_the_header_search_box(client, catalogue):
    html = client.get("/").content.decode()
    assert 'class="header-search"' in html and 'data-suggest-url="/api/search/suggest/"' in html


def test_search_page_query_count_is_constant_whatever_the_result_size(client, listing):
    listing(title="Survey one", category="surveying")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/search/", {"q": "survey", "region": "610000"}).status_code == 200
        return len(queries)

    few = count()
    for n in range(25):
        listing(title=f"Survey {n}", category="surveying" if n % 2 else "eia", regions=("610100", "440300"))
    assert count() == few


def test_a_misspelt_word_is_corrected_towards_the_catalogue(client, two_listings):
    data = client.get("/api/search/", {"q": "asessment"}).json()
    assert data["total"] == 1
    assert "showing results for “assessment”" in data["errors"][0]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("enviromental", "environmental"),
        ("环境影响评介", "环境影响评价"),
        ("环境影想评价", "环境影响评价"),
        ("环境影想", "环境影响"),
    ],
)
def test_near_misses_find_the_service_item_and_say_what_was_searched(client, two_listings, typed, meant):
    """A wrong letter, or a wrong character from pinyin input (评介 for 评价, 影想 for 影响), in a
    whole name or in the start of one."""
    data = client.get("/api/search/", {"q": typed}).json()
    assert data["hits"][0]["title"] == "Environmental impact assessment for factories"
    assert f"showing results for “{meant}”" in data["errors"][0]
    page = client.get("/zh-hans/search/", {"q": typed}).content.decode()
    assert f"以下为“{meant}”的搜索结果" in page and "工厂" in page


@pytest.mark.parametrize("typed", ["一二三四五", "环境保护", "消仿"])
def test_a_chinese_word_that_is_simply_absent_is_not_corrected_into_something_else(client, two_listings, typed):
    """Nothing like a name (一二三四五), a real word that shares only half a name's characters (环境保护,
    environmental protection), a two-character word (too short to tell a typo from another word)."""
    data = client.get("/api/search/", {"q": typed}).json()
    assert data["total"] == 0 and not data["errors"]


def test_search_page_in_chinese_translates_the_frame(client, two_listings):
    html = client.get("/zh-hans/search/", {"q": "测量", "region": "440000"}).content.decode()
    assert "已选筛选条件" in html and "地区：广东省" in html
    assert "<mark>测量</mark>" in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram similarity needs PostgreSQL's pg_trgm")
def test_a_misspelt_provider_name_is_found_by_trigrams_on_postgresql(client, listing):
    """A word no catalogue vocabulary holds (a provider's name) is corrected towards the indexed words."""
    listing(title="Topographic survey", category="surveying", partner_name="Qinghuashan Survey Bureau")
    listing(title="Cadastral survey", category="surveying", partner_name="Baotashan Mapping Institute")
    data = client.get("/api/search/", {"q": "Qinghuashn"}).json()
    assert [hit["title"] for hit in data["hits"]] == ["Topographic survey"]
    assert "showing results for “qinghuashan”" in data["errors"][0]
    # A word like nothing indexed is left alone: no made-up correction, no hits.
    nothing = client.get("/api/search/", {"q": "Xylophonic"}).json()
    assert nothing["total"] == 0 and not nothing["errors"]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the embedded default's behaviour")
def test_without_trigrams_a_misspelt_name_finds_nothing_and_says_nothing(client, listing):
    """SQLite has no trigram index: only the catalogue's own words are corrected there."""
    listing(title="Topographic survey", category="surveying", partner_name="Qinghuashan Survey Bureau")
    data = client.get("/api/search/", {"q": "Qinghuashn"}).json()
    assert data["total"] == 0 and not data["errors"]
