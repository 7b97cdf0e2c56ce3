"""Which listings the public sees and can buy, and the rule's single definition in selectors."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace.partner.strategy import Selector
from providers import selectors, services
from providers.listings import listing_info
from tests.factories import (
    add_qualification,
    listing_data,
    make_certified_provider,
    make_listing,
    make_provider,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def eia(catalogue):
    return catalogue.get(code="eia")


@pytest.fixture
def surveying(catalogue):
    return catalogue.get(code="surveying")


def on_sale(product) -> bool:
    return selectors.purchasable_listings().filter(pk=product.pk).exists()


def strategy_info(product):
    return Selector().strategy().fetch_for_product(product)


def test_listing_is_stored_as_an_intermediary_service_product_with_cny_stockrecord(eia):
    provider = make_certified_provider(categories=[eia])
    product = make_listing(provider, eia, pricing_mode="from", price_unit="per km²")
    assert product.product_class.slug == "intermediary-service"
    stockrecord = product.stockrecords.get()
    assert stockrecord.partner == provider.partner and stockrecord.price_currency == "CNY"
    info = listing_info(selectors.with_listing_data(selectors.all_listings()).get(pk=product.pk))
    assert (info.pricing_mode, info.price_unit, info.service_days, info.regions_served) == (
        "from",
        "per km²",
        45,
        ("110000",),
    )
    assert info.provider == provider and info.category == eia
    assert info.deliverable_lines == ["Report", "Expert review minutes"]


def test_published_listing_of_certified_qualified_provider_is_on_sale_and_buyable(eia):
    provider = make_certified_provider(categories=[eia])
    product = make_listing(provider, eia)
    assert on_sale(product)
    info = strategy_info(product)
    assert info.availability.is_available_to_buy
    assert info.price.currency == "CNY" and info.price.incl_tax == product.stockrecords.get().price


def test_quote_only_listing_is_visible_but_not_directly_purchasable(eia):
    provider = make_certified_provider(categories=[eia])
    product = make_listing(provider, eia, pricing_mode="quote", price=None)
    assert on_sale(product)
    availability = strategy_info(product).availability
    assert not availability.is_available_to_buy and availability.code == "quote_only"


def test_unpublished_listing_is_not_on_sale(eia):
    provider = make_certified_provider(categories=[eia])
    product = make_listing(provider, eia, published=False)
    assert not on_sale(product)
    assert strategy_info(product).availability.code == "not_on_sale"


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_suspending_or_revoking_the_provider_takes_listings_off_sale(eia, action):
    reviewer = staff_user()
    provider = make_certified_provider(categories=[eia], reviewer=reviewer)
    product = make_listing(provider, eia)
    getattr(services, f"provider_{action}")(provider=provider, reviewer=reviewer, reason="Complaint upheld")
    assert not on_sale(product)
    assert not strategy_info(product).availability.is_available_to_buy


def test_a_lapsed_qualification_takes_listings_off_sale_even_before_the_expiry_job(eia):
    provider = make_certified_provider(categories=[eia])
    product = make_listing(provider, eia)
    valid_until = provider.qualifications.get().valid_until
    assert selectors.purchasable_listings(today=valid_until).filter(pk=product.pk).exists()
    day_after = valid_until + datetime.timedelta(days=1)
    assert not selectors.purchasable_listings(today=day_after).filter(pk=product.pk).exists()


def test_qualification_for_another_category_does_not_count(eia, surveying):
    provider = make_certified_provider(categories=[eia])
    with pytest.raises(ValidationError) as error:
        make_listing(provider, surveying)
    message = " ".join(error.value.message_dict["published"])
    assert "no approved, unexpired qualification" in message and "Surveying" in message
    # Saved unpublished is fine, and it stays off sale.
    product = make_listing(provider, surveying, published=False)
    assert not on_sale(product)
    with pytest.raises(ValidationError):
        services.listing_set_published(
            provider=provider, user=provider.memberships.get().user, listing=product, published=True
        )


def test_uncertified_provider_cannot_publish_and_the_reason_says_so(eia):
    provider = make_provider()
    services.qualification_approve(qualification=add_qualification(provider, eia), reviewer=staff_user())
    with pytest.raises(ValidationError) as error:
        make_listing(provider, eia)
    assert "only certified providers can publish" in " ".join(error.value.message_dict["published"])


def test_listing_validation_errors_are_per_field(eia):
    provider = make_certified_provider(categories=[eia])
    with pytest.raises(ValidationError) as error:
        make_listing(provider, eia, price=None, service_days=0, regions_served=("999999",))
    assert {"price", "service_days", "regions_served"} <= set(error.value.message_dict)


def test_provider_cannot_update_or_publish_another_providers_listing(eia):
    provider_a = make_certified_provider(categories=[eia])
    provider_b = make_certified_provider(categories=[eia])
    listing_b = make_listing(provider_b, eia, published=False)
    owner_a = provider_a.memberships.get().user
    with pytest.raises(listing_b.DoesNotExist):
        services.listing_update(provider=provider_a, user=owner_a, listing=listing_b, data=listing_data(eia))
    with pytest.raises(listing_b.DoesNotExist):
        services.listing_set_published(provider=provider_a, user=owner_a, listing=listing_b, published=True)
    with pytest.raises(services.NotPermitted):
        services.listing_set_published(provider=provider_b, user=owner_a, listing=listing_b, published=True)


def test_update_and_unpublish_are_audited(eia):
    provider = make_certified_provider(categories=[eia])
    owner = provider.memberships.get().user
    product = make_listing(provider, eia)
    services.listing_update(provider=provider, user=owner, listing=product, data=listing_data(eia, price=99))
    services.listing_set_published(provider=provider, user=owner, listing=product, published=False)
    kinds = list(provider.events.values_list("kind", flat=True)[:3])
    assert kinds == ["listing_unpublished", "listing_updated", "listing_created"]
    assert product.stockrecords.get().price == 99


def test_qualified_categories_lists_only_in_force_ones(eia, surveying):
    provider = make_certified_provider(categories=[eia])
    add_qualification(provider, surveying)  # pending: does not count
    assert list(selectors.qualified_categories(provider=provider)) == [eia]
    later = timezone.localdate() + datetime.timedelta(days=400)
    assert list(selectors.qualified_categories(provider=provider, today=later)) == []
