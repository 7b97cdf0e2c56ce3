"""The payment service: what the order lifecycle calls; the gateway sits behind ``interfaces.get_gateway()``.

Payments serves hiring and never imports it: applying money returns a ``PaymentOutcome`` and hiring
decides what the order does (``marketplace.hiring.payment_flow``); whatever payments needs to know
about the order's state (is it still awaiting payment?) hiring passes in.

The hiring interface (``payment_record``, ``refund_record``, ``amount_paid``) speaks ``Decimal``
yuan; everything else counts integer fen (``money`` is the one conversion boundary). Every change of
money state locks the order row first and ends with ``ledger.check`` in the same transaction. Every
write to the gateway goes through the outbox (``operations``): decided and committed first, called
outside any lock, recorded after. Where the rest lives: ``ledger`` (balance and entries), ``payouts``
(releasing money), ``sync`` (what Stripe did on its own), ``events`` (webhooks), ``reconciliation``.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import ledger
from .errors import PaymentError, PaymentUnavailable
from .interfaces import CardDeclined, GatewayError, Intent, get_gateway
from .ledger import Balance, LedgerError, ledger_balance
from .models import PaymentDifference, PaymentRecord, StripeOperation, StripePayment
from .money import CURRENCY, fen_to_yuan, yuan_to_fen
from .operations import (
    MANUAL_SOURCE,
    STRIPE_SOURCE,
    difference_open,
    operation_complete,
    operation_open,
    operation_run,
    operations_run_after_commit,
    oscar_event,
    oscar_source,
    refund_entry,
)
from .outcomes import PaymentOutcome, PaymentResult
from .payouts import payout_account_set, payout_hold_reason, payout_release, payout_settle

if TYPE_CHECKING:  # annotations only: payments holds hiring's orders by foreign key, never imports hiring
    from marketplace.hiring.models import ServiceOrder

logger = logging.getLogger(__name__)

Op = StripeOperation

__all__ = [
    "MANUAL_SOURCE",
    "STRIPE_SOURCE",
    "Balance",
    "LedgerError",
    "PaymentError",
    "PaymentUnavailable",
    "ledger_balance",
    "payout_account_set",
    "payout_hold_reason",
    "payout_release",
    "payout_settle",
]

_lock = ledger.lock


# --- the hiring interface (yuan) ---------------------------------------------------------------------


def amount_paid(*, service_order: ServiceOrder, milestone_id: int | None = None) -> Decimal:
    """What the buyer has paid and not got back (by refund or chargeback), for the order or one stage."""
    balance = ledger_balance(service_order=service_order, milestone_id=milestone_id)
    return fen_to_yuan(balance.charged - balance.refunded - balance.chargebacks)


def amount_refunded(*, service_order: ServiceOrder) -> Decimal:
    return fen_to_yuan(ledger_balance(service_order=service_order).refunded)


def _charge(  # noqa: PLR0913 - a charge's parts
    service_order, *, amount_fen: int, reference: str, source_name: str, intent_id="", origin="", milestone_id=None
):
    """Record money received for a locked order (for one of its stages), in Oscar's payment models too."""
    record = ledger.entry(
        service_order,
        PaymentRecord.Kind.CHARGE,
        amount_fen,
        reference,
        intent_id=intent_id,
        origin=origin or PaymentRecord.Origin.PLATFORM,
        milestone_id=milestone_id,
    )
    amount = fen_to_yuan(amount_fen)
    source = oscar_source(service_order, source_name)
    source.allocate(amount, reference=reference[:255], status="succeeded")
    source.debit(amount, reference=reference[:255], status="succeeded")
    oscar_event(service_order, "paid", amount_fen, reference)
    return record


def _outcome(result: PaymentResult, service_order, *, amount_fen: int, reference: str, record=None) -> PaymentOutcome:
    return PaymentOutcome(
        result=result,
        service_order_id=service_order.pk,
        amount_fen=amount_fen,
        reference=reference,
        record_id=record.pk if record is not None else None,
        recorded_at=record.created_at if record is not None else None,
        milestone_id=record.milestone_id if record is not None else None,
    )


@transaction.atomic
def payment_record(
    *,
    service_order: ServiceOrder,
    amount: Decimal,
    reference: str,
    source_name: str = MANUAL_SOURCE,
    origin: str = PaymentRecord.Origin.PLATFORM,
    amount_due: Decimal | None = None,
    milestone_id: int | None = None,
) -> PaymentOutcome:
    """Record the buyer's payment in full (of the order's price, or of ``amount_due`` for the stage
    ``milestone_id`` of an order paid in stages); ``applied``, or ``duplicate`` for a replayed reference.

    Starting the order is hiring's decision (``payment_flow.service_order_payment_received``), made
    in the caller's transaction: if hiring refuses, this charge rolls back with it.
    """
    service_order = _lock(service_order)
    existing = ledger.recorded(reference)
    if existing is not None:
        if existing.service_order_id != service_order.pk or existing.kind != PaymentRecord.Kind.CHARGE:
            raise ValidationError(_("This payment reference belongs to another movement."), code="reference_reused")
        return _outcome(  # replayed notification
            PaymentResult.DUPLICATE, service_order, amount_fen=existing.amount_fen, reference=reference, record=existing
        )
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount_due is None and amount != service_order.price:
        raise ValidationError(
            _("The payment of %(amount)s CNY does not match the order's price of %(price)s CNY."),
            code="amount_mismatch",
            params={"amount": amount, "price": service_order.price},
        )
    if amount_due is not None and amount != amount_due:
        raise ValidationError(
            _("The payment of %(amount)s CNY does not match the %(due)s CNY due for this stage."),
            code="amount_mismatch",
            params={"amount": amount, "due": amount_due},
        )
    amount_fen = yuan_to_fen(amount)
    intent_id = reference if source_name == STRIPE_SOURCE else ""
    record = _charge(
        service_order,
        amount_fen=amount_fen,
        reference=reference,
        source_name=source_name,
        intent_id=intent_id,
        origin=origin,
        milestone_id=milestone_id,
    )
    return _outcome(PaymentResult.APPLIED, service_order, amount_fen=amount_fen, reference=reference, record=record)


def _refund_plan(service_order, amount_fen: int, milestone_id: int | None = None) -> list[tuple[str, int]]:
    """How a refund of ``amount_fen`` spreads over the order's (or one stage's) charges: (intent id, amount)
    pairs, newest card charge first, each capped at what is left on it; what no card charge covers goes
    back by bank ("")."""
    plan = []
    left = amount_fen
    charges = PaymentRecord.objects.filter(service_order=service_order, kind=PaymentRecord.Kind.CHARGE)
    if milestone_id:
        charges = charges.filter(milestone_id=milestone_id)
    for intent_id in charges.exclude(intent_id="").order_by("-created_at", "-pk").values_list("intent_id", flat=True):
        take = min(left, ledger.charge_left(service_order=service_order, intent_id=intent_id))
        if take > 0:
            plan.append((intent_id, take))
            left -= take
        if not left:
            break
    if left:
        plan.append(("", left))
    return plan


def _refund(
    service_order, *, amount_fen: int, purpose: str, intent_id: str = "", milestone_id: int | None = None
) -> list[StripeOperation]:
    """Decide to give money back to the buyer of a locked order. Card money goes back through outbox
    operations run after the deciding transaction commits, each on the charge it reverses; money paid by
    bank transfer is recorded as refunded here (staff pay it back).

    ``intent_id`` names the one charge being reversed (money that came late, or twice, goes back to the
    card it came from); without it the refund spreads over the order's charges, newest first. With
    ``milestone_id`` only that stage's money is refunded, from that stage's charges.
    """
    if intent_id and milestone_id is None:
        milestone_id = ledger.milestone_of(intent_id)
    balance = ledger_balance(service_order=service_order, milestone_id=milestone_id)
    refundable = balance.charged - balance.refunded - balance.chargebacks
    pending = ledger.pending_outflow(service_order=service_order, milestone_id=milestone_id)
    if amount_fen <= 0 or amount_fen > refundable - pending or amount_fen > balance.held - pending:
        raise ValidationError(_("A refund cannot exceed what was paid."), code="refund_too_large")
    plan = [(intent_id, amount_fen)] if intent_id else _refund_plan(service_order, amount_fen, milestone_id)
    operations = []
    for target, amount in plan:
        if target:
            if amount > ledger.charge_left(service_order=service_order, intent_id=target):
                raise ValidationError(_("A refund cannot exceed what was paid."), code="refund_too_large")
            operations.append(
                operation_open(
                    service_order=service_order,
                    kind=Op.Kind.REFUND,
                    purpose=f"refund:{purpose}:{target}",
                    target=target,
                    amount_fen=amount,
                    milestone_id=milestone_id,
                )
            )
        elif ledger.recorded(purpose) is None:
            refund_entry(
                service_order,
                amount_fen=amount,
                reference=purpose,
                intent_id="",
                origin=PaymentRecord.Origin.PLATFORM,
                source=MANUAL_SOURCE,
                milestone_id=milestone_id,
            )
    if operations:
        operations_run_after_commit(service_order)
    return operations


@transaction.atomic
def refund_record(
    *, service_order: ServiceOrder, amount: Decimal, reference: str, milestone_id: int | None = None
) -> list[StripeOperation]:
    """Refund the buyer (a dispute decision); never more than was paid, is still held and is left on each charge
    (of the order, or of the stage ``milestone_id``).

    ``reference`` names the decision: the same decision refunds once, however often this is called.
    """
    service_order = _lock(service_order)
    if Op.objects.filter(purpose__startswith=f"refund:{reference}:").exists() or ledger.recorded(reference):
        return list(Op.objects.filter(purpose__startswith=f"refund:{reference}:"))
    amount_fen = yuan_to_fen(Decimal(amount).quantize(Decimal("0.01")))
    return _refund(service_order, amount_fen=amount_fen, purpose=reference, milestone_id=milestone_id)


@transaction.atomic
def payment_record_manual(
    *, service_order: ServiceOrder, user, reference: str, amount_due: Decimal | None = None, milestone_id=None
) -> PaymentOutcome:
    """Staff record a payment received outside the platform (a bank transfer) of the price, or of the
    ``amount_due`` for the stage ``milestone_id``."""
    if not (user and user.is_authenticated and user.is_staff):
        raise ValidationError(_("Only platform staff may record a payment."), code="staff_only")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(_("Enter the bank or receipt reference of the payment."), code="reference_required")
    return payment_record(
        service_order=service_order,
        amount=service_order.price if amount_due is None else amount_due,
        reference=f"manual:{reference}"[:128],
        amount_due=amount_due,
        milestone_id=milestone_id,
    )


# --- paying by card -----------------------------------------------------------------------------------


def payment_intent_prepare(
    *, service_order: ServiceOrder, amount_due: Decimal | None = None, milestone_id: int | None = None
) -> StripePayment | StripeOperation:
    """The order's open PaymentIntent, or the outbox operation that creates it (to run after this commits).

    The amount is the order's price (or ``amount_due`` for the stage ``milestone_id``), never the client's.
    Only for an order awaiting payment: hiring checks that under the order's lock and calls this in the
    same transaction.
    """
    service_order = _lock(service_order)
    amount_fen = yuan_to_fen(service_order.price if amount_due is None else amount_due)
    # An intent whose card was declined is not reused: each new card gets a fresh intent.
    open_payments = service_order.stripe_payments.exclude(status__in=("succeeded", "canceled")).filter(last_error="")
    payment = open_payments.filter(amount_fen=amount_fen, milestone_id=milestone_id).first()
    if payment is not None:
        return payment
    creating = Op.objects.filter(
        service_order=service_order,
        kind=Op.Kind.INTENT_CREATE,
        status=Op.Status.PENDING,
        amount_fen=amount_fen,
        milestone_id=milestone_id,
    ).first()
    if creating is not None:  # an earlier attempt may have created it at Stripe: the same key finds it
        return creating
    attempt = Op.objects.filter(service_order=service_order, kind=Op.Kind.INTENT_CREATE).count() + 1
    return operation_open(
        service_order=service_order,
        kind=Op.Kind.INTENT_CREATE,
        purpose=f"intent:{service_order.pk}:{attempt}",
        amount_fen=amount_fen,
        milestone_id=milestone_id,
    )


def payment_intent_create_run(*, operation: StripeOperation) -> StripePayment:
    """Create the intent an operation from ``payment_intent_prepare`` stands for (outside any lock)."""
    try:
        operation = operation_run(operation=operation)
    except PaymentUnavailable:
        raise PaymentError(
            _("The payment service is not reachable right now. Please try again in a minute."),
            code="gateway_unavailable",
        ) from None
    if operation.status != Op.Status.SUCCEEDED:
        raise PaymentError(
            _("The payment service refused to start a payment for this order. Please contact support."),
            code="gateway_refused",
        )
    return StripePayment.objects.get(intent_id=operation.result_id)


@transaction.atomic
def _confirm_open(payment: StripePayment) -> StripeOperation:
    return operation_open(
        service_order=payment.service_order,
        kind=Op.Kind.INTENT_CONFIRM,
        purpose=f"confirm:{payment.intent_id}:{uuid.uuid4().hex[:12]}",
        target=payment.intent_id,
        amount_fen=payment.amount_fen,
    )


def payment_confirm(*, payment: StripePayment, payment_method: str) -> Intent:
    """Confirm the intent with the buyer's card on the server; the intent as the gateway then reports it.

    The confirmation is an outbox operation committed first, so a crash after the gateway's answer leaves
    a record that reconciliation reads back. Applying a success to the order is the caller's next step
    (``payment_flow.service_order_pay_by_card``).
    """
    payment_method = (payment_method or "").strip()
    if not payment_method.startswith("pm_") or len(payment_method) > 255:
        raise PaymentError(_("The card details did not reach us. Please enter them again."), code="no_card")
    operation = _confirm_open(payment)
    try:
        intent = get_gateway().payment_intent_pay(
            intent_id=payment.intent_id, payment_method=payment_method, idempotency_key=operation.idempotency_key
        )
    except CardDeclined as error:
        _payment_note_failure(intent_id=payment.intent_id, operation=operation)
        raise PaymentError(
            _("Your card was declined (%(reason)s). Try another card; you have not been charged."),
            code="card_declined",
            params={"reason": error.message},
        ) from None
    except GatewayError:
        raise PaymentError(
            _("The payment service did not answer. If your card was charged, this page will say so shortly."),
            code="gateway_unavailable",
        ) from None
    operation_complete(operation=operation, result=intent)
    return intent


def _payment_note_failure(*, intent_id: str, operation: StripeOperation) -> None:
    """After a decline: note the intent's state and error, so the next card gets a fresh intent."""
    try:
        intent = get_gateway().payment_intent_retrieve(intent_id=intent_id)
    except GatewayError:
        return
    operation_complete(operation=operation, result=intent)
    if intent.status != "succeeded":  # a success is never noted here: only applying records money
        with transaction.atomic():
            payment = StripePayment.objects.select_for_update().filter(intent_id=intent_id).first()
            if payment is not None:
                _payment_note(payment, intent)


def payment_intent_read(*, intent_id: str) -> Intent:
    """The intent as the gateway reports it now (server side). Raises ``GatewayError``."""
    return get_gateway().payment_intent_retrieve(intent_id=intent_id)


def payment_for_intent(*, intent_id: str) -> StripePayment | None:
    """The platform's record of an intent, with its order; None (logged) for an intent that is not ours."""
    payment = StripePayment.objects.select_related("service_order").filter(intent_id=intent_id).first()
    if payment is None:
        logger.warning("payment intent %s is not one of ours", intent_id)
    return payment


def _payment_note(payment: StripePayment, intent: Intent) -> None:
    if payment.status != "succeeded":  # a late, stale report never undoes a success
        payment.status = intent.status
        payment.last_error = intent.error_message[:500]
        payment.updated_at = timezone.now()
        payment.save(update_fields=["status", "last_error", "updated_at"])


@transaction.atomic
def payment_apply(
    *, payment: StripePayment, intent: Intent, awaiting_payment: bool, origin: str = PaymentRecord.Origin.PLATFORM
) -> PaymentOutcome:
    """Bring an order's ledger in line with a PaymentIntent as the gateway reports it. Safe to call any number
    of times, in any order: the charge is recorded once (its reference is the intent id).

    ``awaiting_payment`` is hiring's answer, read under the order's lock: money for an order that no
    longer awaits payment (cancelled, or paid twice) is recorded and refunded in full, on that charge.
    """
    service_order = _lock(payment.service_order)
    payment = StripePayment.objects.select_for_update().get(pk=payment.pk)
    _payment_note(payment, intent)

    def outcome(result: PaymentResult, record=None) -> PaymentOutcome:
        return _outcome(result, service_order, amount_fen=intent.amount, reference=intent.id, record=record)

    if intent.status != "succeeded":
        return outcome(PaymentResult.NOT_PAID)
    existing = ledger.recorded(intent.id)
    if existing is not None:
        return outcome(PaymentResult.DUPLICATE, existing)
    if intent.amount != payment.amount_fen or intent.currency != CURRENCY:
        logger.error("payment intent %s amount/currency differs from what the platform created", intent.id)
        difference_open(
            service_order=service_order,
            kind=PaymentDifference.Kind.MISMATCH,
            key=intent.id,
            detail=f"intent {intent.id} reports {intent.amount} {intent.currency}, created for {payment.amount_fen}",
            amount_fen=intent.amount,
        )
        return outcome(PaymentResult.MISMATCH)
    if awaiting_payment:
        return payment_record(
            service_order=service_order,
            amount=fen_to_yuan(intent.amount),
            reference=intent.id,
            source_name=STRIPE_SOURCE,
            origin=origin,
            amount_due=fen_to_yuan(payment.amount_fen) if payment.milestone_id else None,
            milestone_id=payment.milestone_id,
        )
    # Paid after the order was cancelled (or paid twice): keep nothing, refund that very charge in full.
    record = _charge(
        service_order,
        amount_fen=intent.amount,
        reference=intent.id,
        source_name=STRIPE_SOURCE,
        intent_id=intent.id,
        origin=origin,
        milestone_id=payment.milestone_id,
    )
    _refund(service_order, amount_fen=intent.amount, purpose=f"return-{intent.id}", intent_id=intent.id)
    return outcome(PaymentResult.REFUNDED, record)


def payment_intents_cancel_open(*, service_order: ServiceOrder) -> None:
    """After an order is cancelled: close its open intents so the buyer cannot pay any more."""
    for payment in service_order.stripe_payments.exclude(status__in=("succeeded", "canceled")):
        try:
            get_gateway().payment_intent_cancel(intent_id=payment.intent_id)
        except GatewayError:
            logger.warning("could not cancel payment intent %s; a late payment is refunded on arrival", payment.pk)
        else:
            StripePayment.objects.filter(pk=payment.pk).exclude(status="succeeded").update(status="canceled")
