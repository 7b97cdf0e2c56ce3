"""Order lifecycle races with real concurrent transactions (PostgreSQL only: SQLite locks the whole file)."""

import datetime
import threading
import time

from django.db import transaction
from django.utils import timezone

from marketplace.hiring import services
from marketplace.hiring.models import ServiceOrder
from marketplace.payments.models import Payout
from tests.concurrency import POSTGRES_ONLY, in_thread
from tests.factories import (
    deliver,
    make_buyer,
    make_certified_provider,
    make_service_order,
    pay,
    pdf_upload,
    provider_owner,
)

pytestmark = POSTGRES_ONLY


def test_auto_accept_waiting_on_a_re_delivery_leaves_the_buyer_their_review_window(catalogue):
    """The buyer asks for a revision and the provider re-delivers in one transaction that holds the
    order's lock; the auto-accept batch, which chose the order from the old, due delivery, waits
    for the lock and then must see the fresh delivery and leave it alone."""
    category = catalogue.get(code="eia")
    provider = make_certified_provider(categories=[category])
    enterprise, owner = make_buyer()
    order = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    pay(order)
    provider_user = provider_owner(provider)
    services.deliverable_upload(service_order=order, user=provider_user, file=pdf_upload())
    deliver(order, provider_user)
    ServiceOrder.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - datetime.timedelta(days=8))

    redelivery_holds_lock = threading.Event()
    results = {}

    def revise_and_redeliver():
        with transaction.atomic():
            services.service_order_request_revision(
                service_order=ServiceOrder(pk=order.pk), user=owner, reason="Noise chapter missing."
            )
            deliver(ServiceOrder(pk=order.pk), provider_user)
            redelivery_holds_lock.set()
            time.sleep(1.0)  # the batch's query runs now, and sees the old, due delivery
        return "redelivered"

    def batch():
        redelivery_holds_lock.wait(10)
        assert list(services.deliveries_due_for_auto_accept().values_list("pk", flat=True)) == [order.pk]
        return services.service_orders_auto_accept()

    threads = [in_thread(revise_and_redeliver, results, "redeliver"), in_thread(batch, results, "batch")]
    for thread in threads:
        thread.join(30)

    assert results == {"redeliver": "redelivered", "batch": 0}
    order = ServiceOrder.objects.select_related("order").get(pk=order.pk)
    assert order.order.status == "delivered" and order.accepted_at is None
    assert order.delivered_at > timezone.now() - datetime.timedelta(minutes=1)
    assert not Payout.objects.filter(service_order=order).exists()
