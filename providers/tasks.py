"""Celery entry points; each calls the same service as its management command."""

import logging

from celery import shared_task

from signing.exceptions import SigningError

from . import certificates, services
from .models import Provider

logger = logging.getLogger(__name__)


@shared_task(name="providers.expire_qualifications")
def expire_qualifications() -> dict:
    result = services.qualification_expire_due()
    return {"warned": result.warned, "expired": result.expired, "listings_off_sale": result.listings_off_sale}


@shared_task(name="providers.ban_boundaries")
def ban_boundaries() -> list[int]:
    """Bans take and lose force by their dates; this only keeps cached listings (search) in step."""
    return services.provider_bans_boundary_notify()


@shared_task(name="providers.certificate_issue")
def provider_certificate_issue(provider_id: int) -> str | None:
    """Seal a newly certified provider's certificate. A platform without a seal yet (before
    init_pki) issues none; ``issue_provider_certificates`` catches up later."""
    provider = Provider.objects.get(pk=provider_id)
    try:
        return certificates.provider_certificate_issue(provider=provider).document.number
    except SigningError as exc:
        logger.warning("No certificate for provider %s: %s", provider_id, exc)
        return None
