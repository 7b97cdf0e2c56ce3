"""Requests, quotes and orders built through the real services."""

import datetime
from decimal import Decimal

from django.utils import timezone

from marketplace.enterprises.models import EnterpriseMember
from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.procurement import addressed
from marketplace.procurement import services as procurement

from .accounts import UserFactory
from .enterprises import EnterpriseFactory


def make_buyer(**enterprise_fields):
    """An enterprise with an owner; returns (enterprise, owner)."""
    enterprise = EnterpriseFactory(**enterprise_fields)
    owner = UserFactory()
    EnterpriseMember.objects.create(enterprise=enterprise, user=owner, role=EnterpriseMember.Role.OWNER)
    return enterprise, owner


def make_request(*, enterprise, user, category, method="lowest_price", budget="100000", hours=48, **extra):
    values = {
        "title": "EIA report for a new workshop",
        "description": "Environmental impact report for a 2,000 m² workshop.",
        "region": "110000",
        "budget": Decimal(budget),
        "deadline": timezone.now() + datetime.timedelta(hours=hours),
        "method": method,
        **extra,
    }
    return procurement.request_publish(enterprise=enterprise, user=user, category=category, **values)


def make_addressed_request(enterprise, owner, listing):
    """A request for quotes addressed to ``listing``'s provider (a "from" or quote-only listing)."""
    return addressed.request_address(
        enterprise=enterprise,
        user=owner,
        listing=listing,
        title="Survey",
        description="Topographic survey.",
        region="110000",
        budget="90000",
        deadline=timezone.now() + datetime.timedelta(days=2),
    )


def provider_owner(provider):
    return provider.memberships.first().user


def provider_seal(provider):
    """The provider's organisation seal (made by the platform, its owners granted), which every
    delivery needs: the delivery note is sealed with it."""
    from signing import services as signing_services

    return signing_services.organisation_seal_create(actor=None, provider=provider)


def deliver(service_order, user=None):
    """Mark ``service_order`` delivered as ``user`` (default: the provider's owner), its note sealed
    with the provider's seal (made first if it has none)."""
    provider = ServiceOrder.objects.select_related("provider").get(pk=service_order.pk).provider
    provider_seal(provider)
    return hiring.service_order_deliver(service_order=service_order, user=user or provider_owner(provider))


def make_quote(request, provider, *, price="50000", days=30, now=None, **extra):
    return procurement.quote_submit(
        request=request, user=provider_owner(provider), price=Decimal(price), service_days=days, now=now, **extra
    )


def make_service_order(
    *, enterprise, buyer, provider, category=None, price="48000", days=30, milestone_plan=""
) -> ServiceOrder:
    return hiring.service_order_create(
        milestone_plan=milestone_plan,
        enterprise=enterprise,
        provider=provider,
        buyer=buyer,
        title="Safety assessment",
        price=Decimal(price),
        service_days=days,
        project_name="Workshop extension",
        source=ServiceOrder.Source.DIRECT,
        category=category,
    )


def pay(service_order, reference=None):
    return payment_flow.service_order_pay(
        service_order=service_order, amount=service_order.price, reference=reference or f"test-{service_order.pk}"
    )
