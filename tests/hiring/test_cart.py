"""The cart: it renders (Oscar's basket page did not), holds each service once, hires once per
click-through, refuses what is not for sale at a fixed price, and a double "Place order" places once."""

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from oscar.apps.basket.models import Basket
from oscar.apps.partner.strategy import Selector

from marketplace.hiring import checkout
from marketplace.hiring import services as hiring_services
from marketplace.hiring.models import ServiceOrder
from tests.concurrency import POSTGRES_ONLY, in_thread
from tests.factories import make_buyer, make_certified_provider, make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(category, providers):
    return make_listing(providers[0], category, price=Decimal("68000"), service_days=20, title="Safety assessment")


def hire(client, listing, **options):
    return client.post(reverse("cart-add", kwargs={"pk": listing.pk}), {"next": "checkout"}, **options)


def place(client, enterprise, project="Plant B"):
    return client.post(reverse("direct-checkout"), {"enterprise": enterprise.pk, "project_name": project})


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
def test_the_cart_page_renders_with_its_lines_and_no_quantity(client, buyer, listing, prefix):
    enterprise, owner = buyer
    assert client.get(prefix + "/basket/").status_code == 200  # empty, anonymous
    client.post(reverse("cart-add", kwargs={"pk": listing.pk}))
    client.force_login(owner)
    response = client.get(prefix + "/basket/")
    html = response.content.decode()
    assert response.status_code == 200 and "Safety assessment" in html and "68000" in html
    assert "quantity" not in html.lower()  # no Oscar formset: a service has no quantity
    assert reverse("cart").rstrip("/") in client.get(prefix + "/").content.decode()  # the header links it


def test_hiring_directly_twice_makes_one_order_at_the_listed_price(client, buyer, listing):
    enterprise, owner = buyer
    client.force_login(owner)
    first = hire(client, listing)
    assert first.status_code == 302 and first.url == reverse("direct-checkout")
    hire(client, listing)  # the second click
    response = place(client, enterprise)
    (so,) = ServiceOrder.objects.all()
    assert response.status_code == 302 and so.price == Decimal("68000.00")
    assert so.order.lines.get().quantity == 1
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(so.order.number in m and "68000" in m and "awaiting payment" in m for m in messages)


def test_a_merged_line_with_a_quantity_still_hires_the_service_once(client, buyer, listing):
    """Oscar's basket merge at login may add quantities; a service has none."""
    enterprise, owner = buyer
    client.force_login(owner)
    client.post(reverse("cart-add", kwargs={"pk": listing.pk}))
    Basket.objects.get(owner=owner).lines.update(quantity=3)
    place(client, enterprise)
    assert ServiceOrder.objects.count() == 1


def test_adding_again_says_it_is_already_there_and_remove_takes_only_ones_own_line(client, buyer, listing):
    enterprise, owner = buyer
    client.force_login(owner)
    client.post(reverse("cart-add", kwargs={"pk": listing.pk}))
    again = client.post(reverse("cart-add", kwargs={"pk": listing.pk}), follow=True)
    assert "already in your cart" in again.content.decode()
    line = Basket.objects.get(owner=owner).lines.get()
    stranger, _ = make_buyer(name="Other Co")
    other = make_buyer(name="Third Co")[1]
    client.force_login(other)
    client.post(reverse("cart-remove", kwargs={"line_pk": line.pk}))
    assert Basket.objects.get(owner=owner).lines.count() == 1
    client.force_login(owner)
    client.post(reverse("cart-remove", kwargs={"line_pk": line.pk}))
    assert Basket.objects.get(owner=owner).lines.count() == 0


@pytest.mark.parametrize("mode", ["from", "quote"])
def test_from_and_quote_only_listings_are_not_charged_but_lead_to_a_request(client, buyer, category, providers, mode):
    enterprise, owner = buyer
    listing = make_listing(providers[1], category, price=Decimal("68000"), pricing_mode=mode, title="Survey")
    client.force_login(owner)
    page = client.get(listing.get_absolute_url()).content.decode()
    assert f"{reverse('procurement:create')}?listing={listing.pk}" in page and "Hire directly" not in page
    response = hire(client, listing, follow=True)
    assert "cannot be hired directly" in response.content.decode()
    assert not Basket.objects.filter(owner=owner, lines__isnull=False).exists()
    assert place(client, enterprise).status_code == 400 and not ServiceOrder.objects.exists()


def test_oscars_other_basket_pages_lead_to_the_cart(client):
    for path in ("/basket/saved/", "/basket/vouchers/add/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == reverse("cart")


def test_a_basket_is_ordered_once_even_when_placed_twice(buyer, listing):
    enterprise, owner = buyer
    basket = Basket.objects.create(owner=owner)
    basket.strategy = Selector().strategy()
    basket.add_product(listing, 1)
    checkout.direct_orders_place(basket=basket, user=owner, enterprise=enterprise, project_name="A")
    with pytest.raises(ValidationError) as refused:
        checkout.direct_orders_place(basket=basket, user=owner, enterprise=enterprise, project_name="A")
    assert refused.value.code == "already_placed" and ServiceOrder.objects.count() == 1


def postgres_only(test):
    for mark in reversed(POSTGRES_ONLY):
        test = mark(test)
    return test


@postgres_only
def test_two_place_order_clicks_at_once_place_the_orders_once(catalogue, monkeypatch):
    """Two requests with the same basket (a double click, a second tab), each on its own connection,
    both inside the order-creation window: the basket row lock lets one place and the other find it done."""
    category = catalogue.get(code="eia")
    listing = make_listing(make_certified_provider(categories=[category]), category, price=Decimal("68000"))
    enterprise, owner = make_buyer()
    basket = Basket.objects.create(owner=owner)
    basket.strategy = Selector().strategy()
    basket.add_product(listing, 1)
    create = hiring_services.service_order_create

    def slow_create(**kwargs):
        time.sleep(0.5)  # widen the window in which an unlocked second click would read the same lines
        return create(**kwargs)

    monkeypatch.setattr(checkout.services, "service_order_create", slow_create)
    barrier = threading.Barrier(2)
    results = {}

    def click():
        mine = Basket.objects.get(pk=basket.pk)
        mine.strategy = Selector().strategy()
        barrier.wait()
        return checkout.direct_orders_place(basket=mine, user=owner, enterprise=enterprise, project_name="A")

    threads = [in_thread(click, results, n) for n in range(2)]
    for thread in threads:
        thread.join(30)
    outcomes = sorted(type(result).__name__ for result in results.values())
    assert outcomes == ["ValidationError", "list"], results
    assert ServiceOrder.objects.count() == 1


def test_the_header_counts_the_cart_without_creating_one(client, buyer, listing):
    enterprise, owner = buyer
    client.force_login(owner)
    assert "site-cart__count" not in client.get("/").content.decode()
    assert not Basket.objects.exists()  # browsing does not make a cart row per visitor
    client.logout()
    client.post(reverse("cart-add", kwargs={"pk": listing.pk}))  # anonymous: a cookie cart
    assert 'site-cart__count">1<' in client.get("/").content.decode()
    client.force_login(owner)  # signed in, not yet merged: still one service
    assert 'site-cart__count">1<' in client.get("/").content.decode()
    client.get(reverse("cart"))  # the cart loads and merges
    assert 'site-cart__count">1<' in client.get("/").content.decode()
    assert Basket.objects.get(owner=owner, status="Open").lines.count() == 1
