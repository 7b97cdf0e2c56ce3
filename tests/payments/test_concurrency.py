"""Concurrent webhooks and reconciliations with real transactions (PostgreSQL only: SQLite locks the whole
file). A crash is injected by making the recording step raise after Stripe answered."""

import json
import threading

from django.db import connection

from marketplace.hiring import payment_flow
from marketplace.hiring import services as hiring
from marketplace.hiring.models import Dispute
from marketplace.payments import operations
from marketplace.payments.interfaces import get_gateway
from marketplace.payments.models import Payout, StripeEvent
from tests.concurrency import POSTGRES_ONLY, in_thread
from tests.factories import deliver as deliver_order
from tests.factories import make_service_order
from tests.payments.books import assert_books
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


def _refund_left_unrecorded(order, buyer, staff, monkeypatch):
    """A dispute refund Stripe made whose recording crashed (injected): the outbox row is pending."""
    payment_flow.service_order_pay_by_card(service_order=order, payment_method=card())
    dispute = hiring.dispute_open(service_order=order, user=buyer, reason="Not delivered")
    real = operations._finish

    def crash(operation, **kwargs):
        raise RuntimeError("the process dies after Stripe answered")

    monkeypatch.setattr(operations, "_finish", crash)
    try:
        hiring.dispute_resolve(dispute=dispute, user=staff, outcome=Dispute.Outcome.REFUND, decision="Refund")
    except RuntimeError:
        pass
    monkeypatch.setattr(operations, "_finish", real)


def test_two_reconciliations_at_once_record_a_refund_once(stripe_settings, deal, monkeypatch):
    order, buyer, _provider, staff = deal
    _refund_left_unrecorded(order, buyer, staff, monkeypatch)
    barrier = threading.Barrier(2)
    results = {}

    def reconcile():
        barrier.wait()
        return payment_flow.payments_reconcile()

    threads = [in_thread(reconcile, results, n) for n in range(2)]
    for thread in threads:
        thread.join(60)
    assert all(not isinstance(r, Exception) for r in results.values()), results
    assert order.payments.filter(kind="refund").count() == 1
    assert_books(order)


def test_a_refund_webhook_racing_the_outbox_records_the_refund_once(stripe_settings, deal, monkeypatch):
    """Stripe's ``charge.refunded`` for our own refund arrives while reconciliation finishes the same
    operation: one takes the order's lock first, the other finds the refund recorded."""
    order, buyer, _provider, staff = deal
    _refund_left_unrecorded(order, buyer, staff, monkeypatch)
    intent_id = order.stripe_payments.get(status="succeeded").intent_id
    payload = json.dumps(
        {
            "id": "evt_race",
            "object": "event",
            "type": "charge.refunded",
            "data": {"object": {"id": "ch_x", "object": "charge", "payment_intent": intent_id}},
        }
    ).encode()
    signature = signed(payload, secret=stripe_settings.STRIPE_WEBHOOK_SECRET)
    barrier = threading.Barrier(2)
    results = {}

    def webhook():
        barrier.wait()
        return payment_flow.payment_webhook_process(payload=payload, signature=signature)

    def reconcile():
        barrier.wait()
        return payment_flow.payments_reconcile()

    threads = [in_thread(webhook, results, "webhook"), in_thread(reconcile, results, "reconcile")]
    for thread in threads:
        thread.join(60)
    assert results["webhook"] == "processed", results
    assert order.payments.filter(kind="refund").count() == 1
    assert order.stripe_operations.get(kind="refund").status == "succeeded"
    assert_books(order)


def test_a_stage_accepted_twice_at_once_is_released_once(deal):
    """A double click on "Accept" for a stage of an order paid in stages: one acceptance releases the stage
    (one payout, one fee) and moves the order to the next stage; the other, waiting on the order's lock,
    finds the stage already settled and changes nothing."""
    order, buyer, provider_user, _staff = deal
    staged = make_service_order(
        enterprise=order.enterprise, buyer=buyer, provider=order.provider, milestone_plan="A; 50%; 5\nB; 50%; 9"
    )
    payment_flow.service_order_pay(service_order=staged, amount=staged.price / 2, reference="bank-a")
    staged.deliverables.create(file="x.pdf", name="a.pdf")
    deliver_order(staged, provider_user)
    barrier = threading.Barrier(2)
    results = {}

    def accept():
        barrier.wait()
        return hiring.service_order_accept(service_order=staged, user=buyer)

    threads = [in_thread(accept, results, n) for n in range(2)]
    for thread in threads:
        thread.join(60)
    refused = [r for r in results.values() if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], hiring.TransitionNotAllowed), results
    assert status(staged) == "awaiting_payment"
    assert [m.status for m in staged.milestones.order_by("position")] == ["released", "pending"]
    assert Payout.objects.filter(service_order=staged).count() == 1
    assert staged.payments.filter(kind="fee").count() == 1
