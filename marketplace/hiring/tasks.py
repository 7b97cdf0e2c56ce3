from celery import shared_task

from . import services


@shared_task(name="hiring.auto_accept_deliveries")
def auto_accept_deliveries() -> int:
    return services.service_orders_auto_accept()
