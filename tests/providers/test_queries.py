"""Category and listing pages cost the same number of queries for 2 or 12 listings (the profile
page: tests/credit/test_profile.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_certified_provider, make_listing

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def eia(catalogue):
    return catalogue.get(code="eia")


def add_listings(eia, n):
    """``n`` listings spread over several providers, as real category pages have."""
    products = []
    providers = [make_certified_provider(categories=[eia]) for _ in range(min(n, 3))]
    for i in range(n):
        products.append(make_listing(providers[i % len(providers)], eia, title=f"EIA package {i}", price=1000 + i))
    return products, providers


def test_category_page_query_count_is_flat(client, eia):
    add_listings(eia, 2)
    url = eia.get_absolute_url()
    few = count_queries(client, url)
    # category, children, listings, stock records, categories, attributes, ratings, the typical
    # price and delivery time, the approval matters that need the item (+ savepoints)
    assert few <= 11
    add_listings(eia, 10)
    html = client.get(url).content.decode()
    assert html.count('class="listing-card"') == 12
    assert count_queries(client, url) == few


def test_listing_detail_query_count_is_flat(client, eia):
    products, providers = add_listings(eia, 2)
    first = count_queries(client, products[0].get_absolute_url())
    more, _ = add_listings(eia, 10)
    assert count_queries(client, products[0].get_absolute_url()) == first
    assert count_queries(client, more[-1].get_absolute_url()) == first
