"""Celery entry points; each calls a service (eager without a broker, see settings)."""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from . import services
from .exceptions import SigningError
from .models import IssuingAuthority

logger = logging.getLogger(__name__)


@shared_task(name="signing.tasks.permits_expire")
def permits_expire() -> int:
    return services.permits_expire()


@shared_task(name="signing.tasks.permits_issue_bulk")
def permits_issue_bulk(*, authority_id: int, actor_id: int, rows: list[dict]) -> dict:
    """Bulk issuance in a worker: rows as read from the CSV; returns issued numbers and row errors."""
    authority = IssuingAuthority.objects.get(pk=authority_id)
    actor = get_user_model().objects.get(pk=actor_id)
    result = services.permits_issue_bulk(authority=authority, actor=actor, rows=rows)
    return {"issued": result.issued, "errors": [{"row": e.row, "message": e.message} for e in result.errors]}


@shared_task(name="signing.tasks.provider_certificate_issue")
def provider_certificate_issue(provider_id: int) -> str | None:
    """Seal a newly certified provider's certificate. A platform without a seal yet (before
    init_pki) issues none; ``issue_provider_certificates`` catches up later."""
    from providers.models import Provider

    provider = Provider.objects.get(pk=provider_id)
    try:
        return services.provider_certificate_issue(provider=provider).document.number
    except SigningError as exc:
        logger.warning("No certificate for provider %s: %s", provider_id, exc)
        return None


@shared_task(name="signing.tasks.contract_issue")
def contract_issue(service_order_id: int) -> str | None:
    """Issue a new order's contract. When the platform cannot seal (no PKI yet, key store or TSA
    down), the order keeps going without one: the failure is noted in the order's history and the
    contract can be issued later from the order page or ``manage.py issue_contracts``."""
    from marketplace.hiring.models import ServiceOrder
    from marketplace.hiring.services import service_order_note

    service_order = ServiceOrder.objects.select_related("order").get(pk=service_order_id)
    try:
        return services.contract_issue(service_order=service_order).number
    except SigningError as exc:
        logger.warning("No contract for order %s: %s", service_order.order.number, exc)
        service_order_note(service_order=service_order, kind="contract_failed", reason=str(exc))
        return None
