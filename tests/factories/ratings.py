"""Ratings of a listing, made the real way: a completed order for it, rated by its buyer."""

from decimal import Decimal

from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.ratings import services as ratings
from marketplace.ratings.models import Rating

from .hiring import deliver, make_buyer, pay, provider_owner
from .providers import pdf_upload


def rate_listing(product, stars: int) -> Rating:
    """A new buyer orders ``product`` directly, the provider delivers, the buyer accepts and rates
    every dimension ``stars``."""
    record = product.stockrecords.select_related("partner__provider").first()
    provider = record.partner.provider
    enterprise, buyer = make_buyer()
    service_order = hiring.service_order_create(
        enterprise=enterprise,
        provider=provider,
        buyer=buyer,
        title=product.title,
        price=record.price or Decimal("1000"),
        service_days=30,
        project_name="Rated project",
        source=ServiceOrder.Source.DIRECT,
        product=product,
        stockrecord=record,
    )
    pay(service_order)
    hiring.deliverable_upload(service_order=service_order, user=provider_owner(provider), file=pdf_upload())
    deliver(service_order, provider_owner(provider))
    hiring.service_order_accept(service_order=service_order, user=buyer)
    return ratings.rating_create(
        service_order=service_order,
        user=buyer,
        quality=stars,
        timeliness=stars,
        communication=stars,
        price_fairness=stars,
    )
