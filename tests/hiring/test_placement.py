"""Orders are placed through Oscar's OrderCreator: one service, one line, one price per order."""

from decimal import Decimal

import pytest
from django.urls import reverse
from oscar.apps.analytics.models import ProductRecord

from marketplace.hiring.models import ServiceOrder
from tests.factories import make_listing
from tests.factories.hiring import make_service_order

pytestmark = pytest.mark.django_db


def test_a_direct_order_is_an_oscar_order_with_one_line_from_the_basket(client, buyer, category, providers):
    enterprise, owner = buyer
    listing = make_listing(providers[0], category, price=Decimal("48000"), service_days=20)
    client.force_login(owner)
    client.post(reverse("basket:add", kwargs={"pk": listing.pk}), {"quantity": 1})
    client.post(reverse("checkout:index"), {"enterprise": enterprise.pk, "project_name": "Plant B"})

    so = ServiceOrder.objects.select_related("order").get()
    order = so.order
    assert (order.user, order.currency, order.total_incl_tax, order.shipping_incl_tax) == (
        owner,
        "CNY",
        Decimal("48000.00"),
        Decimal("0.00"),
    )
    assert order.basket is not None and order.basket.status == "Submitted"
    (line,) = order.lines.all()
    assert (line.product, line.stockrecord, line.partner, line.quantity) == (
        listing,
        listing.stockrecords.get(),
        providers[0].partner,
        1,
    )
    assert line.line_price_incl_tax == line.unit_price_incl_tax == Decimal("48000.00")
    assert line.status == "awaiting_payment"
    # Oscar's order_placed went out: its analytics counted the listing bought.
    assert ProductRecord.objects.get(product=listing).num_purchases == 1


def test_an_awarded_request_places_an_order_without_a_listing(buyer, providers):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], price="52000")
    (line,) = so.order.lines.all()
    assert line.product is None and line.stockrecord is None
    assert (line.partner, line.quantity, line.line_price_incl_tax) == (providers[0].partner, 1, Decimal("52000.00"))
    assert so.order.total_incl_tax == Decimal("52000.00")
    assert not ProductRecord.objects.exists()  # nothing was bought from the catalogue
