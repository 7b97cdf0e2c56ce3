"""Where money meets the order: hiring calls payments, reads the ``PaymentOutcome`` and moves the order.

Payments records money and never imports hiring; every path that can pay for an order (staff
recording a bank transfer, the card form, the server-side check after card authentication, the
Stripe webhook, demo data) runs through here, so ``service_order_payment_received`` is the one place
that turns a payment into a started order. Each function locks the order before payments does, so
hiring's answer to "is it still awaiting payment?" holds until the transaction commits.
"""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from oscar.apps.order.models import Order

from marketplace.payments import events as payment_events
from marketplace.payments import operations as payment_operations
from marketplace.payments import reconciliation
from marketplace.payments import services as payments
from marketplace.payments.interfaces import GatewayError, Intent
from marketplace.payments.models import PaymentRecord, StripeOperation, StripePayment
from marketplace.payments.outcomes import PaymentOutcome

from . import milestones
from .models import ServiceOrder, Status
from .services import service_order_start


def _lock(service_order: ServiceOrder) -> ServiceOrder:
    # The same lock order as hiring.services._lock: the service order row, then its Oscar order.
    locked = ServiceOrder.objects.select_for_update().get(pk=service_order.pk)
    locked.order = Order.objects.select_for_update().get(pk=locked.order_id)
    return locked


@transaction.atomic
def service_order_payment_received(*, order: ServiceOrder, outcome: PaymentOutcome) -> ServiceOrder:
    """Payments applied money to this order; decide what the order does.

    A new charge starts the service clock (``TransitionNotAllowed`` if the order no longer awaits
    payment, which rolls the charge back with the caller's transaction); anything else (money that came
    too late, which payments refunds on the charge it came from) leaves the order as it is.
    """
    if outcome.service_order_id != order.pk:
        raise ValueError(f"payment outcome for order {outcome.service_order_id} given to order {order.pk}")
    if outcome.applied:
        return service_order_start(service_order=order, paid_at=outcome.recorded_at, milestone_id=outcome.milestone_id)
    return order


@transaction.atomic
def service_order_pay(
    *, service_order: ServiceOrder, amount: Decimal, reference: str, source_name: str = payments.MANUAL_SOURCE
) -> PaymentOutcome:
    """Money received for the order in full, or for its current stage (demo data, tests, integrations):
    record it and start the order (or the stage)."""
    service_order = _lock(service_order)
    due, stage_id = milestones.amount_due(service_order)
    outcome = payments.payment_record(
        service_order=service_order,
        amount=amount,
        reference=reference,
        source_name=source_name,
        amount_due=due if stage_id else None,
        milestone_id=stage_id,
    )
    service_order_payment_received(order=service_order, outcome=outcome)
    return outcome


@transaction.atomic
def service_order_pay_manual(*, service_order: ServiceOrder, user, reference: str) -> PaymentOutcome:
    """Staff record a payment received outside the platform (a bank transfer) of what is due; the order (or
    its current stage) starts."""
    service_order = _lock(service_order)
    due, stage_id = milestones.amount_due(service_order)
    outcome = payments.payment_record_manual(
        service_order=service_order,
        user=user,
        reference=reference,
        amount_due=due if stage_id else None,
        milestone_id=stage_id,
    )
    service_order_payment_received(order=service_order, outcome=outcome)
    return outcome


def service_order_payment_intent(*, service_order: ServiceOrder) -> StripePayment:
    """The order's open card payment, only while the order awaits payment (``PaymentError`` otherwise).

    Creating the intent is an outbox operation: decided under the order's lock, committed, then sent
    outside it; a page load after a crash finds the pending operation and sends the same key again.
    """
    with transaction.atomic():
        service_order = _lock(service_order)
        if service_order.status != Status.AWAITING_PAYMENT:
            raise payments.PaymentError(_("This order is not awaiting payment."), code="not_awaiting_payment")
        due, stage_id = milestones.amount_due(service_order)
        prepared = payments.payment_intent_prepare(
            service_order=service_order, amount_due=due if stage_id else None, milestone_id=stage_id
        )
    if isinstance(prepared, StripeOperation):
        return payments.payment_intent_create_run(operation=prepared)
    return prepared


@transaction.atomic
def service_order_payment_apply(
    *, intent: Intent, origin: str = PaymentRecord.Origin.PLATFORM
) -> PaymentOutcome | None:
    """Apply an intent as the gateway reports it to its order; None for an intent that is not ours."""
    payment = payments.payment_for_intent(intent_id=intent.id)
    if payment is None:
        return None
    service_order = _lock(payment.service_order)
    # Awaited only as the payment of the stage now due (an order paid at once has none): money for a stage
    # already paid is returned like money for a cancelled order.
    awaiting = (
        service_order.status == Status.AWAITING_PAYMENT
        and payment.milestone_id == milestones.amount_due(service_order)[1]
    )
    outcome = payments.payment_apply(payment=payment, intent=intent, awaiting_payment=awaiting, origin=origin)
    service_order_payment_received(order=service_order, outcome=outcome)
    return outcome


def service_order_pay_by_card(*, service_order: ServiceOrder, payment_method: str) -> StripePayment:
    """The buyer's card, confirmed on the server; a success starts the order. ``PaymentError`` for the buyer.

    Not one transaction, and never inside the request's: the gateway call sits between the intent's
    creation and its application, outside every lock.
    """
    payment = service_order_payment_intent(service_order=service_order)
    intent = payments.payment_confirm(payment=payment, payment_method=payment_method)
    service_order_payment_apply(intent=intent)
    payment.refresh_from_db()
    return payment


def service_order_payment_sync(*, intent_id: str) -> StripePayment | None:
    """Ask the gateway (server side) for the intent's state and apply it; None if it cannot be asked."""
    try:
        intent = payments.payment_intent_read(intent_id=intent_id)
    except GatewayError:
        return None
    service_order_payment_apply(intent=intent)
    return StripePayment.objects.filter(intent_id=intent_id).first()


def payment_webhook_process(*, payload: bytes, signature: str | None) -> str:
    """Verify, claim and apply one gateway webhook event, once; then run the money moves it left in the outbox.

    Returns ``"processed"``, ``"duplicate"``, ``"parked"`` (about an object not known yet: kept and retried
    by reconciliation) or ``"ignored"``. Raises ``SignatureError`` (nothing changed), ``GatewayError`` (the
    object could not be read back: the claim rolls back and the gateway retries) or ``PaymentUnavailable``
    (what the event decided is committed, but a refund it requires could not be sent yet: the gateway
    retries the event, and the retry sends the pending refund with the same key).
    """
    event = payment_events.event_verify(payload=payload, signature=signature)
    with transaction.atomic():
        result = payment_events.event_handle(event=event, apply_intent=service_order_payment_apply)
    if result.service_order_id:
        order = ServiceOrder.objects.get(pk=result.service_order_id)
        payment_operations.operations_run_pending(service_order=order)
    return result.status


def payments_reconcile(*, now=None) -> reconciliation.Report:
    """Compare Stripe with the ledger for every order that needs it (``manage.py payments_reconcile``, hourly);
    a payment found there is applied to its order as any other payment is."""
    return reconciliation.payments_reconcile(apply_intent=service_order_payment_apply, now=now)
