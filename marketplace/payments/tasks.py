"""Celery entry points of payments' own bookkeeping; each calls a service (eager without a broker)."""

from celery import shared_task

from . import invoices


@shared_task(name="payments.fee_invoices_sweep")
def fee_invoices_sweep() -> int:
    return invoices.fee_invoices_sweep()
