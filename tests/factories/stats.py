"""Service orders, requests and ratings with chosen dates and prices, for the statistics tests.

Rows are created through the real services, then their timestamps and status are set directly:
the statistics read history, and replaying months of history through the clock-driven services
would only slow the tests down without exercising anything the hiring tests do not.
"""

import datetime
from decimal import Decimal

from oscar.apps.order.models import Order

from marketplace.hiring.models import ServiceOrder, Status
from marketplace.procurement.models import RequestForQuotes
from marketplace.ratings.models import Rating

from .hiring import make_request, make_service_order


def make_history_order(
    *,
    enterprise,
    buyer,
    provider,
    category,
    price,
    accepted_at: datetime.datetime | None = None,
    paid_at: datetime.datetime | None = None,
    due_at: datetime.datetime | None = None,
    delivered_at: datetime.datetime | None = None,
    status: str = Status.COMPLETED,
    request=None,
) -> ServiceOrder:
    service_order = make_service_order(
        enterprise=enterprise, buyer=buyer, provider=provider, category=category, price=str(price)
    )
    ServiceOrder.objects.filter(pk=service_order.pk).update(
        accepted_at=accepted_at,
        paid_at=paid_at,
        due_at=due_at,
        delivered_at=delivered_at,
        request=request,
        source=ServiceOrder.Source.REQUEST if request else ServiceOrder.Source.DIRECT,
    )
    Order.objects.filter(pk=service_order.order_id).update(status=status)
    service_order.refresh_from_db()
    return service_order


def make_history_request(*, enterprise, user, category, published_at, awarded_at=None, region="110000"):
    request = make_request(enterprise=enterprise, user=user, category=category, region=region)
    RequestForQuotes.objects.filter(pk=request.pk).update(
        published_at=published_at,
        awarded_at=awarded_at,
        status=RequestForQuotes.Status.AWARDED if awarded_at else RequestForQuotes.Status.OPEN,
    )
    request.refresh_from_db()
    return request


def rate(service_order, *, stars: tuple[int, int, int, int], created_at: datetime.datetime) -> Rating:
    return Rating.objects.create(
        service_order=service_order,
        provider=service_order.provider,
        product=service_order.product,
        author=service_order.buyer,
        quality=stars[0],
        timeliness=stars[1],
        communication=stars[2],
        price_fairness=stars[3],
        overall=(Decimal(sum(stars)) / 4).quantize(Decimal("0.01")),
        created_at=created_at,
    )
