"""Celery entry points; each calls the same service as its management command."""

from celery import shared_task

from . import services


@shared_task(name="credit.recompute_credit")
def recompute_credit() -> dict:
    return {"changed": services.providers_credit_recompute_all()}
