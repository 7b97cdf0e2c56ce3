"""Orders, ratings and qualifications placed in time for the staff watch lists.

Built through the real services; only the clock fields (deadlines, delivery, rating and filing
times) are then moved with ``QuerySet.update``, because the services stamp ``timezone.now()``.
"""

import datetime

from django.utils import timezone

from marketplace.core.selectors import acting_organisations
from marketplace.enterprises.models import InvoiceTitle
from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.payments import invoices
from marketplace.payments.models import InvoiceRequest
from marketplace.ratings import services as ratings
from providers import services as provider_services
from providers.models import Qualification

from .hiring import deliver, make_service_order, pay, provider_owner
from .providers import add_qualification, pdf_upload, staff_user


def days_ago(days: float, *, now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=days)


def move(instance, **fields):
    """Set clock fields the services stamp with ``now`` and return the reloaded row."""
    type(instance).objects.filter(pk=instance.pk).update(**fields)
    instance.refresh_from_db()
    return instance


def paid_order(buyer, provider, *, category=None) -> ServiceOrder:
    enterprise, owner = buyer
    service_order = make_service_order(enterprise=enterprise, buyer=owner, provider=provider, category=category)
    pay(service_order)
    service_order.refresh_from_db()
    return service_order


def delivered_order(buyer, provider, *, category=None) -> ServiceOrder:
    service_order = paid_order(buyer, provider, category=category)
    hiring.deliverable_upload(service_order=service_order, user=provider_owner(provider), file=pdf_upload())
    return deliver(service_order, provider_owner(provider))


def completed_order(buyer, provider, *, delivered_at, due_at, category=None) -> ServiceOrder:
    """A completed order delivered at ``delivered_at`` against the deadline ``due_at``."""
    service_order = delivered_order(buyer, provider, category=category)
    hiring.service_order_accept(service_order=service_order, user=buyer[1])
    return move(service_order, delivered_at=delivered_at, due_at=due_at, accepted_at=delivered_at)


def rated_order(buyer, provider, *, stars: int, at: datetime.datetime):
    """A completed, on-time order rated ``stars`` on every dimension, the rating given ``at``."""
    service_order = completed_order(buyer, provider, delivered_at=at, due_at=at + datetime.timedelta(days=1))
    rating = ratings.rating_create(
        service_order=service_order,
        user=buyer[1],
        quality=stars,
        timeliness=stars,
        communication=stars,
        price_fairness=stars,
    )
    return move(rating, created_at=at)


def approved_qualification(provider, category, *, days: int, reviewer=None) -> Qualification:
    """An approved qualification whose last valid day is ``days`` from today."""
    qualification = add_qualification(provider, category, days=days)
    return provider_services.qualification_approve(qualification=qualification, reviewer=reviewer or staff_user())


def overdue_invoice_request(buyer, provider, *, days: float = 1) -> InvoiceRequest:
    """A paid order whose buyer asked for an invoice the provider let run ``days`` past its due time."""
    enterprise, owner = buyer
    service_order = paid_order(buyer, provider)
    title = InvoiceTitle.objects.create(enterprise=enterprise, name=enterprise.name, tax_number=enterprise.credit_code)
    request = invoices.invoice_request(
        actor=owner,
        organisations=acting_organisations(owner),
        payment_id=service_order.payments.get(kind="charge").pk,
        title=title,
        kind="general",
    )
    return move(request, due_at=days_ago(days))
