"""Celery entry points; each calls the same service as its management command."""

from celery import shared_task

from . import services


@shared_task(name="providers.expire_qualifications")
def expire_qualifications() -> dict:
    result = services.qualification_expire_due()
    return {"warned": result.warned, "expired": result.expired, "listings_off_sale": result.listings_off_sale}


@shared_task(name="providers.recompute_credit")
def recompute_credit() -> dict:
    from .credit import services as credit_services

    return {"changed": credit_services.providers_credit_recompute_all()}
