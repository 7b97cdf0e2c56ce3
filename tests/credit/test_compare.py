"""Comparing listings side by side: up to four, in the order chosen, figures from records, a listing
no longer on offer left out, a constant number of queries, and the picker on the service item's page."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from marketplace.hiring.models import ServiceOrder
from providers.services import listings as listing_services
from tests.factories import make_certified_provider, make_listing, provider_owner
from tests.factories.ratings import rate_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers(category):
    a = make_certified_provider(categories=[category], name="Alpha Surveys")
    b = make_certified_provider(categories=[category], name="Beta Assessments")
    return [
        make_listing(a, category, price=Decimal("48000"), title="EIA standard"),
        make_listing(b, category, price=Decimal("52000"), title="EIA express", service_days=20),
        make_listing(a, category, price=Decimal("30000"), title="EIA small"),
    ]


def compare(client, *ids):
    return client.get(reverse("compare"), {"listing": [str(pk) for pk in ids]})


def columns(response):
    return [column.info.product.pk for column in response.context["columns"]]


def test_listings_side_by_side_with_figures_from_records(client, offers):
    first, second, _third = offers
    rate_listing(first, 5)
    rate_listing(first, 3)
    late = ServiceOrder.objects.get(product=first, rating__overall=3)
    # One of Alpha's two completed orders was delivered after its deadline: 50 % on time.
    ServiceOrder.objects.filter(pk=late.pk).update(due_at=late.delivered_at - datetime.timedelta(days=1))
    response = compare(client, second.pk, first.pk)
    assert columns(response) == [second.pk, first.pk]  # the order asked for
    body = response.content.decode()
    assert "EIA express" in body and "Beta Assessments" in body and "Alpha Surveys" in body
    alpha = response.context["columns"][1]
    assert alpha.dimensions["quality"] == Decimal("4.00") and alpha.on_time_rate == 50
    assert response.context["columns"][0].on_time_rate is None and "No completed orders yet" in body
    assert alpha.qualification is not None and alpha.qualification.certificate_number in body
    # Removing one keeps the others.
    assert f'href="?listing={first.pk}"' in body


def test_at_most_four_and_nonsense_ignored(client, category, offers):
    provider = make_certified_provider(categories=[category])
    more = [make_listing(provider, category, title=f"Extra {n}") for n in range(2)]
    ids = [pk for pk in [o.pk for o in offers] + [m.pk for m in more]]
    response = client.get(reverse("compare"), {"listing": ["x", str(ids[0]), str(ids[0]), *map(str, ids[1:])]})
    assert columns(response) == ids[:4]
    assert "Up to 4 listings can be compared at once" in response.content.decode()


def test_a_listing_no_longer_on_offer_is_left_out(client, offers):
    first, second, _third = offers
    provider = first.stockrecords.get().partner.provider
    listing_services.listing_set_published(
        provider=provider, user=provider_owner(provider), listing=first, published=False
    )
    response = compare(client, first.pk, second.pk)
    assert columns(response) == [second.pk]
    assert "no longer on offer was left out" in response.content.decode()
    empty = compare(client)
    assert empty.status_code == 200 and "Nothing to compare yet" in empty.content.decode()


def test_query_count_does_not_grow_with_the_listings_compared(client, offers):
    for listing in offers:
        rate_listing(listing, 4)
    counts = []
    for ids in ([offers[0].pk], [o.pk for o in offers]):
        with CaptureQueriesContext(connection) as queries:
            assert compare(client, *ids).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_service_items_page_picks_listings_to_compare(client, category, offers):
    body = client.get(category.get_absolute_url()).content.decode()
    assert f'action="{reverse("compare")}"' in body
    for listing in offers:
        assert f'name="listing" value="{listing.pk}"' in body


def test_it_reads_in_chinese(client, offers):
    with translation.override("zh-hans"):
        url = reverse("compare")
    body = client.get(url, {"listing": [offers[0].pk]}).content.decode()
    assert "比较" in body and "按时交付" in body
