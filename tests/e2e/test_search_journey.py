"""A buyer finds an intermediary: header autocomplete, region and price filters, the listing."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_search_listing


@pytest.mark.django_db(transaction=True)
def test_find_an_eia_provider_in_xian_under_budget(page, live_server, catalogue):
    # transaction=True: every listing's commit runs its index update, as in production.
    make_search_listing(
        title="EIA report for factories", title_zh="工厂环评报告书", category="eia", regions=("610100",), price=18000
    )
    make_search_listing(title="EIA report form, express", category="eia", regions=("610000",), price=60000)
    make_search_listing(title="EIA for Shenzhen parks", category="eia", regions=("440300",), price=9000)
    make_search_listing(title="Topographic survey", category="surveying", regions=("610100",), price=4000)

    page.goto(live_server.url + "/")
    box = page.get_by_role("combobox", name="Search intermediaries")
    box.press_sequentially("环评", delay=50)
    option = page.get_by_role("option", name="Environmental impact assessment")
    expect(option).to_be_visible()
    option.click()

    expect(page).to_have_url(re.compile(r"/search/\?category=eia"))
    expect(page.locator(".search-hit")).to_have_count(3)

    page.locator(".search-facet--region").get_by_role("link", name=re.compile("^Shaanxi")).click()
    expect(page.locator(".search-hit")).to_have_count(2)

    page.get_by_label("Maximum price").fill("20000")
    page.get_by_role("button", name="Apply price").click()
    expect(page.locator(".search-hit")).to_have_count(1)
    expect(page.locator(".search-active__filter")).to_have_count(3)  # item, region, price: each removable

    page.locator(".search-hit__title a").click()
    expect(page.locator("h1")).to_contain_text("EIA report for factories")
    assert "/catalogue/" in page.url  # the listing's own page, not a search page
