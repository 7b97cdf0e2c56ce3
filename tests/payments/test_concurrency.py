"""Concurrent duplicate webhooks with real transactions (PostgreSQL only: SQLite locks the whole file)."""

import threading

from django.db import connection

from marketplace.hiring import payment_flow
from marketplace.payments.interfaces import get_gateway
from marketplace.payments.models import StripeEvent
from tests.concurrency import POSTGRES_ONLY
from tests.payments.test_stripe import PRICE_FEN, assert_ledger, card, event, signed, status

pytestmark = POSTGRES_ONLY


def test_the_same_event_delivered_twice_at_once_is_applied_once(stripe_settings, deal):
    order, _buyer, _provider, _staff = deal
    payment = payment_flow.service_order_payment_intent(service_order=order)
    get_gateway().payment_intent_pay(intent_id=payment.intent_id, payment_method=card())
    payload = event("evt_twice", "payment_intent.succeeded", payment.intent_id)
    signature = signed(payload, secret=stripe_settings.STRIPE_WEBHOOK_SECRET)
    barrier = threading.Barrier(2)
    results = {}

    def deliver(key):
        try:
            barrier.wait()
            results[key] = payment_flow.payment_webhook_process(payload=payload, signature=signature)
        except Exception as error:  # noqa: BLE001 - the test inspects whatever the thread raised
            results[key] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results.values()) == ["duplicate", "processed"]
    assert StripeEvent.objects.count() == 1 and status(order) == "in_service"
    assert_ledger(order, held=PRICE_FEN)
