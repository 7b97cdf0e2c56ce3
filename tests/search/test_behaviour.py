"""What a buyer can rely on, whichever backend answers: run against every available backend."""

from decimal import Decimal

import pytest
from django.db import transaction

from search.backends import get_backend
from search.query import SearchQuery

pytestmark = pytest.mark.django_db


def search(**kwargs):
    return get_backend().search(SearchQuery(**kwargs))


def ids(result):
    return [hit.document.listing_id for hit in result.hits]


def test_a_title_match_beats_a_description_match(backend_name, listing):
    in_description = listing(
        title="Land survey package", description="Includes topographic drawings", category="surveying"
    )
    in_title = listing(title="Topographic survey", description="Field work and drawings", category="surveying")
    assert ids(search(q="topographic")) == [in_title.pk, in_description.pk]


def test_a_query_naming_a_service_item_puts_that_items_listings_first(backend_name, listing):
    mentions = listing(title="Mapping for 环评 projects", category="surveying")
    eia = listing(title="Report preparation", title_zh="报告书编制", category="eia")
    assert ids(search(q="环评")) == [eia.pk, mentions.pk]


def test_chinese_substrings_and_english_abbreviations_find_listings(backend_name, listing):
    eia = listing(title="Construction project report", title_zh="建设项目环境影响评价报告书", category="eia")
    listing(title="Cost estimate", title_zh="工程造价咨询", category="cost-consulting")
    assert ids(search(q="环境影响")) == [eia.pk]
    assert ids(search(q="EIA")) == [eia.pk]
    assert ids(search(q="造价")) != [eia.pk]


def test_region_filter_honours_province_and_city_containment(backend_name, listing):
    province = listing(title="Whole of Shaanxi", regions=("610000",))
    city = listing(title="Xi'an only", regions=("610100",))
    shenzhen = listing(title="Shenzhen only", regions=("440300",))
    assert set(ids(search(region="610100"))) == {province.pk, city.pk}
    assert set(ids(search(region="610000"))) == {province.pk, city.pk}
    assert ids(search(region="440000")) == [shenzhen.pk]
    assert ids(search(region="320100")) == []


def test_words_region_and_service_item_filters_combine(backend_name, listing):
    xian = listing(title="EIA report Xi'an", category="eia", regions=("610100",))
    shaanxi = listing(title="EIA report Shaanxi", category="eia", regions=("610000", "440300"))
    listing(title="EIA report Shenzhen", category="eia", regions=("440300",))
    survey = listing(title="Survey report Xi'an", category="surveying", regions=("610100",))
    assert set(ids(search(q="report", region="610100", category="eia"))) == {xian.pk, shaanxi.pk}
    assert set(ids(search(q="report", region="610000"))) == {xian.pk, shaanxi.pk, survey.pk}
    assert ids(search(q="survey", region="440300")) == []
    assert ids(search(q="report", region="440000", category="surveying")) == []


def test_any_single_chinese_character_finds_the_listings_containing_it(backend_name, listing):
    swc = listing(title="SWC plan", title_zh="水土保持方案", category="soil-water")
    eia = listing(title="EIA report", title_zh="环评报告", category="eia")
    assert ids(search(q="保")) == [swc.pk]  # inside a word
    assert ids(search(q="案")) == [swc.pk]  # at its end
    assert ids(search(q="告")) == [eia.pk]
    assert ids(search(q="鱼")) == []


def test_words_without_letters_match_nothing_and_raise_nothing(backend_name, listing):
    listing(title="EIA report", regions=("610100",))
    assert search(q="!!! ???").total == 0
    assert search(q="!!!", region="610100", category="eia", sort="price_asc").total == 0


def test_price_days_and_category_filters(backend_name, listing):
    cheap = listing(title="Cheap", price=3000, service_days=10)
    mid = listing(title="Middle", price=15000, service_days=40, category="surveying")
    listing(title="Dear", price=90000, service_days=90)
    quote = listing(title="Quote", price=None, pricing_mode="quote")
    assert set(ids(search(price_min=Decimal("2000"), price_max=Decimal("20000")))) == {cheap.pk, mid.pk}
    assert quote.pk not in ids(search(price_max=Decimal("100000")))
    assert ids(search(max_days=20)) == [cheap.pk]
    assert ids(search(category="surveying")) == [mid.pk]


def test_sorts_order_by_price_and_delivery_with_quote_only_last(backend_name, listing):
    a = listing(title="A", price=5000, service_days=30)
    b = listing(title="B", price=1000, service_days=60)
    c = listing(title="C", price=None, pricing_mode="quote", service_days=5)
    assert ids(search(sort="price_asc")) == [b.pk, a.pk, c.pk]
    assert ids(search(sort="price_desc")) == [a.pk, b.pk, c.pk]
    assert ids(search(sort="service_days")) == [c.pk, a.pk, b.pk]


def test_facet_counts_equal_the_filtered_totals(backend_name, listing):
    listing(title="EIA Xi'an", category="eia", regions=("610100",), price=3000)
    listing(title="EIA Shaanxi", category="eia", regions=("610000", "440300"), price=30000)
    listing(title="Survey Shenzhen", category="surveying", regions=("440300",), price=8000)
    listing(title="Survey quote", category="surveying", regions=("440000",), price=None, pricing_mode="quote")
    result = search()
    assert result.total == 4
    assert sum(value.count for value in result.facets["category"].values) == result.total
    for value in result.facets["category"].values:
        assert value.count == search(category=value.value).total
    for value in result.facets["region"].values:
        assert value.count == search(region=value.value).total
    assert {v.value: v.count for v in result.facets["region"].values} == {"610000": 2, "440000": 3}
    bands = {v.value: v.count for v in result.facets["price"].values}
    assert bands == {"0-5000": 1, "5000-20000": 1, "20000-50000": 1, "quote": 1}
    filtered = search(category="eia")
    assert {v.value: v.count for v in filtered.facets["price"].values} == {"0-5000": 1, "20000-50000": 1}


def test_unpurchasable_listings_never_appear_and_leave_on_unpublish(
    backend_name, listing, django_capture_on_commit_callbacks
):
    hidden = listing(title="Hidden draft", is_public=False)
    shown = listing(title="Published offer")
    assert ids(search()) == [shown.pk]
    assert hidden.pk not in ids(search(q="hidden"))
    with django_capture_on_commit_callbacks(execute=True):
        shown.is_public = False
        shown.save()
    _refresh()
    assert ids(search()) == []


def test_deleting_a_listing_removes_it(backend_name, listing, django_capture_on_commit_callbacks):
    product = listing(title="Soon gone")
    with django_capture_on_commit_callbacks(execute=True):
        product.delete()
    _refresh()
    assert search().total == 0


def test_index_follows_an_edit_only_after_commit(backend_name, listing, django_capture_on_commit_callbacks):
    product = listing(title="Old title")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        product.title = "Fresh title"
        product.save()
        assert ids(search(q="fresh")) == []  # not before the commit
    for callback in callbacks:
        callback()
    _refresh()
    assert ids(search(q="fresh")) == [product.pk]


def test_a_rolled_back_edit_never_reaches_the_index(backend_name, listing, django_capture_on_commit_callbacks):
    product = listing(title="Steady title")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                product.title = "Phantom title"
                product.save()
                raise RuntimeError("the edit fails")
    _refresh()
    assert ids(search(q="phantom")) == []
    assert ids(search(q="steady")) == [product.pk]


def test_pages_split_the_results(backend_name, listing):
    created = [listing(title=f"Offer {n}", price=1000 + n) for n in range(3)]
    first = search(sort="price_asc", page_size=2)
    second = search(sort="price_asc", page_size=2, page=2)
    assert first.total == second.total == 3
    assert ids(first) + ids(second) == [p.pk for p in created]


def test_suggestions_offer_the_service_item_and_titles(backend_name, listing):
    listing(title="EIA report for factories", title_zh="工厂环评报告", category="eia")
    suggestions = get_backend().suggest("环评", "zh")
    assert suggestions[0].kind == "category" and suggestions[0].value == "eia"
    assert any(s.kind == "listing" for s in get_backend().suggest("eia rep", "en"))


def _refresh():
    from tests.search.conftest import _refresh as refresh

    refresh()


@pytest.mark.parametrize("backend_name", ["database"], indirect=True)
def test_saving_a_listing_sends_one_index_task(backend_name, catalogue, django_capture_on_commit_callbacks):
    from celery.signals import task_prerun

    from tests.factories import make_search_listing

    runs = []

    def record(sender=None, args=None, **kwargs):
        # the index task only, not the provider's certificate task
        if sender is not None and sender.name == "search.update_listings":
            runs.append(args)

    task_prerun.connect(record)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            product = make_search_listing(title="One task")  # product, attributes, category, stock record
    finally:
        task_prerun.disconnect(record)
    assert [list(args) for args in runs] == [[[product.pk]]]
    assert ids(search(q="task")) == [product.pk]
