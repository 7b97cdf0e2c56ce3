"""The service guide's typical price range, delivery time and providers, computed from orders."""

import datetime

import pytest
from django.utils import timezone

from marketplace.transparency import selectors
from tests.factories import make_buyer, make_certified_provider, make_listing, make_provider
from tests.factories.stats import make_history_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def eia(catalogue):
    return catalogue.get(code="eia")


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def completed(eia, provider, price, *, paid_days_ago, delivery_days, status="completed"):
    enterprise, owner = make_buyer()
    paid = days_ago(paid_days_ago)
    return make_history_order(
        enterprise=enterprise, buyer=owner, provider=provider, category=eia, price=price, paid_at=paid,
        delivered_at=paid + datetime.timedelta(days=delivery_days),
        accepted_at=paid + datetime.timedelta(days=delivery_days + 2), status=status,
    )  # fmt: skip


def test_too_few_orders_say_so(client, eia):
    provider = make_provider()
    completed(eia, provider, 10000, paid_days_ago=100, delivery_days=10)
    completed(eia, provider, 20000, paid_days_ago=90, delivery_days=20)
    html = client.get(eia.get_absolute_url()).content.decode()
    assert html.count("Not enough orders yet (shown from 3 completed orders).") == 2


def test_typical_range_and_time_from_completed_orders(client, eia, catalogue):
    provider = make_provider()
    completed(eia, provider, 10000, paid_days_ago=100, delivery_days=10)
    completed(eia, provider, 20000, paid_days_ago=90, delivery_days=20)
    completed(eia, provider, 60000, paid_days_ago=80, delivery_days=31)
    # Not counted: a cancelled order, an order of another item, and one from three years ago.
    completed(eia, provider, 999999, paid_days_ago=50, delivery_days=1, status="cancelled")
    completed(catalogue.get(code="surveying"), provider, 1, paid_days_ago=50, delivery_days=1)
    completed(eia, provider, 5, paid_days_ago=3 * 365, delivery_days=1)

    typical = selectors.service_item_typical(category=eia)
    # Sorted 10,000 20,000 60,000 (inclusive method): Q1 at position 0.5 = 15,000, median 20,000,
    # Q3 at position 1.5 = 40,000. Payment to delivery 10, 20, 31 days: median 20.
    assert (typical.orders, str(typical.price_q1), str(typical.price_median), str(typical.price_q3)) == (
        3,
        "15000.00",
        "20000.00",
        "40000.00",
    )
    assert (typical.timed_orders, typical.median_days) == (3, 20)
    html = client.get(eia.get_absolute_url()).content.decode()
    assert "CNY 15,000 – 40,000 (the middle half of prices; median CNY 20,000), from 3 completed orders" in html
    assert "20 days from payment to delivery (median of 3 completed orders)" in html


def test_guide_lists_certified_providers_with_a_listing(client, eia):
    offering = make_certified_provider(categories=[eia], name="Offering EIA Co., Ltd.")
    make_listing(offering, eia)
    make_certified_provider(categories=[eia], name="Silent EIA Co., Ltd.")  # certified, no listing
    html = client.get(eia.get_absolute_url()).content.decode()
    guide = html.split('id="guide-title"', 1)[1].split("</section>", 1)[0]
    assert f'<a href="{offering.get_absolute_url()}">Offering EIA Co., Ltd.</a>' in guide
    assert "Silent EIA Co., Ltd." not in guide


def test_guide_without_providers_or_orders(client, eia):
    html = client.get(eia.get_absolute_url()).content.decode()
    guide = html.split('id="guide-title"', 1)[1].split("</section>", 1)[0]
    assert "None yet." in guide
    assert "Not enough orders yet" in guide
