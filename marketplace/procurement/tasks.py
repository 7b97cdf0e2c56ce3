"""Celery entry points; each calls the same service as its management command."""

from celery import shared_task

from . import services


@shared_task(name="procurement.close_due_requests")
def close_due_requests() -> dict:
    return services.requests_close_due()
