"""Celery entry points; each calls the same service as its management command."""

from celery import shared_task

from . import services


@shared_task(name="providers.expire_qualifications")
def expire_qualifications() -> dict:
    result = services.qualification_expire_due()
    return {"warned": result.warned, "expired": result.expired, "listings_off_sale": result.listings_off_sale}
