"""Celery entry points; each calls a service (eager without a broker, see settings)."""

import logging

from celery import shared_task
from django.core.cache import cache

from marketplace.core import after_response
from signing.exceptions import SigningError

from . import contracts, payment_flow, services
from .models import ServiceOrder

logger = logging.getLogger(__name__)


@shared_task(name="hiring.auto_accept_deliveries")
def auto_accept_deliveries() -> int:
    return services.service_orders_auto_accept()


@shared_task(name="hiring.payments_reconcile")
def payments_reconcile() -> str:
    return str(payment_flow.payments_reconcile())


# While a new order's contract is queued, its page says it is arriving (at most this long).
CONTRACT_QUEUED_SECONDS = 120


def contract_queued_key(service_order_id: int) -> str:
    return f"hiring:contract-queued:{service_order_id}"


def contract_queue(service_order_id: int) -> None:
    """Have the contract issued without the person waiting: to the broker, or (eager) after the
    response; the order page shows it arriving meanwhile."""
    cache.set(contract_queued_key(service_order_id), True, CONTRACT_QUEUED_SECONDS)
    after_response.defer(contract_issue, service_order_id)


@shared_task(name="hiring.contract_issue")
def contract_issue(service_order_id: int) -> str | None:
    """Issue a new order's contract. When the platform cannot seal (no PKI yet, key store or TSA
    down), the order keeps going without one: the failure is noted in the order's history and the
    contract can be issued later from the order page or ``manage.py issue_contracts``."""
    service_order = ServiceOrder.objects.select_related("order").get(pk=service_order_id)
    try:
        return contracts.contract_issue(service_order=service_order).number
    except SigningError as exc:
        logger.warning("No contract for order %s: %s", service_order.order.number, exc)
        services.service_order_note(service_order=service_order, kind="contract_failed", reason=str(exc))
        return None
    finally:
        cache.delete(contract_queued_key(service_order_id))
