"""Gateway webhook events: verified, claimed once, processed, or parked when they are about an object the
platform does not know yet (and retried by reconciliation, never consumed).

Applying a payment moves the order, which is hiring's decision: hiring passes ``apply_intent`` in
(``payment_flow.payment_webhook_process``). Everything else an event can say — a refund made in the
dashboard, a chargeback opened or closed, a transfer reversed — is money only, settled here.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .interfaces import Intent, get_gateway
from .models import PaymentDifference, PaymentRecord, Payout, StripeEvent, StripeOperation, StripePayment
from .operations import difference_open, operation_complete
from .sync import chargeback_record, refunds_sync, transfers_sync

logger = logging.getLogger(__name__)

INTENT_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
)
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
REFUND_EVENTS = ("charge.refunded", "charge.refund.updated")
TRANSFER_EVENTS = ("transfer.reversed", "transfer.updated")
HANDLED_EVENTS = INTENT_EVENTS + DISPUTE_EVENTS + REFUND_EVENTS + TRANSFER_EVENTS
# A parked event still about nothing we know after this long is put before staff.
PARKED_TOO_LONG = datetime.timedelta(hours=24)

ApplyIntent = Callable[..., object]  # hiring's payment_flow.service_order_payment_apply(intent=, origin=)


@dataclass(frozen=True)
class EventResult:
    status: str  # "processed" | "duplicate" | "parked" | "ignored"
    service_order_id: int | None = None


def event_verify(*, payload: bytes, signature: str | None) -> dict:
    """The event as plain data, once its signature and age are checked (``SignatureError`` otherwise)."""
    return get_gateway().event_construct(payload=payload, signature=signature)


def _object(event: dict) -> dict:
    return (event.get("data") or {}).get("object") or {}


def _payment(intent_id: str) -> StripePayment | None:
    return StripePayment.objects.select_related("service_order__order").filter(intent_id=intent_id).first()


def _payment_adopt(intent: Intent) -> StripePayment | None:
    """An intent we created but whose creation was never recorded (a crash after Stripe answered): its
    ``ow_operation`` metadata names the pending outbox row, which completing records now."""
    operation = StripeOperation.objects.filter(
        idempotency_key=intent.metadata.get("ow_operation", "-"), kind=StripeOperation.Kind.INTENT_CREATE
    ).first()
    if operation is None:
        return None
    operation_complete(operation=operation, result=intent)
    return _payment(intent.id)


def _process(event: dict, *, apply_intent: ApplyIntent, origin: str) -> int | None:
    """Apply one event; the id of the order it concerned, or None when it is about nothing we know."""
    kind, obj = event.get("type", ""), _object(event)
    if kind in INTENT_EVENTS:
        intent = get_gateway().payment_intent_retrieve(intent_id=obj.get("id", ""))
        payment = _payment(intent.id) or _payment_adopt(intent)
        if payment is None:
            return None
        apply_intent(intent=intent, origin=origin)
        return payment.service_order_id
    if kind in REFUND_EVENTS:
        payment = _payment(obj.get("payment_intent") or "")
        if payment is None:
            return None
        refunds_sync(payment=payment, origin=origin)
        return payment.service_order_id
    if kind in DISPUTE_EVENTS:
        dispute = get_gateway().dispute_retrieve(dispute_id=obj.get("id", ""))
        payment = _payment(dispute.intent_id)
        if payment is None:
            return None
        chargeback_record(payment=payment, dispute=dispute, origin=origin)
        return payment.service_order_id
    if kind in TRANSFER_EVENTS:
        transfer_id = obj.get("id", "")
        payout = Payout.objects.select_related("service_order__order").filter(transfer_id=transfer_id).first()
        service_order = payout.service_order if payout else None
        if service_order is None:
            operation = StripeOperation.objects.filter(result_id=transfer_id).select_related("service_order").first()
            service_order = operation.service_order if operation else None
        if service_order is None:
            return None
        transfers_sync(service_order=service_order, origin=origin)
        return service_order.pk
    return 0  # not an event the platform acts on


@transaction.atomic
def event_handle(*, event: dict, apply_intent: ApplyIntent) -> EventResult:
    """Claim and apply one verified event, in one transaction (call it inside the caller's).

    The event row is inserted first: a replay hits the unique id, and a concurrent duplicate waits on
    that index until the first commits, then finds it. If applying fails (the gateway cannot be read),
    the claim rolls back with it and the gateway retries. State is always read back from the gateway, so
    events arriving out of order cannot move money backwards.
    """
    event_id, kind = event["id"], event.get("type", "")[:100]
    try:
        with transaction.atomic():
            claim = StripeEvent.objects.create(
                event_id=event_id, type=kind, object_id=_object(event).get("id", "")[:255]
            )
    except IntegrityError:
        claim = StripeEvent.objects.select_for_update().get(event_id=event_id)
        if claim.status != StripeEvent.Status.PARKED:
            return EventResult("duplicate", _order_of(claim))
        StripeEvent.objects.filter(pk=claim.pk).update(attempts=F("attempts") + 1)
    if kind not in HANDLED_EVENTS:
        return EventResult("ignored")
    service_order_id = _process(event, apply_intent=apply_intent, origin=PaymentRecord.Origin.WEBHOOK)
    if service_order_id is None:
        StripeEvent.objects.filter(pk=claim.pk).update(status=StripeEvent.Status.PARKED, payload=event)
        logger.warning("event %s (%s) is about an object not known yet; parked", event_id, kind)
        return EventResult("parked")
    StripeEvent.objects.filter(pk=claim.pk).update(status=StripeEvent.Status.PROCESSED, payload=None)
    return EventResult("processed", service_order_id or None)


def _order_of(claim: StripeEvent) -> int | None:
    payment = StripePayment.objects.filter(intent_id=claim.object_id).first()
    return payment.service_order_id if payment else None


def events_parked_retry(*, apply_intent: ApplyIntent, now: datetime.datetime | None = None) -> int:
    """Try every parked event again (reconciliation); those about nothing known for a day go before staff."""
    now = now or timezone.now()
    processed = 0
    for claim in StripeEvent.objects.filter(status=StripeEvent.Status.PARKED).order_by("received_at"):
        with transaction.atomic():
            claim = StripeEvent.objects.select_for_update().get(pk=claim.pk)
            if claim.status != StripeEvent.Status.PARKED:
                continue
            service_order_id = _process(
                claim.payload or {}, apply_intent=apply_intent, origin=PaymentRecord.Origin.RECONCILIATION
            )
            if service_order_id is not None:
                claim.status, claim.payload = StripeEvent.Status.PROCESSED, None
                claim.save(update_fields=["status", "payload"])
                processed += 1
            elif now - claim.received_at > PARKED_TOO_LONG:
                difference_open(
                    service_order=None,
                    kind=PaymentDifference.Kind.UNKNOWN_OBJECT,
                    key=claim.event_id,
                    detail=f"event {claim.event_id} ({claim.type}) is about {claim.object_id}, unknown to the platform",
                )
    return processed


__all__ = ["HANDLED_EVENTS", "EventResult", "event_handle", "event_verify", "events_parked_retry"]
