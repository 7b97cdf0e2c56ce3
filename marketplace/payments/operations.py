"""The outbox: every write to the payment gateway is a ``StripeOperation`` row committed before the call.

1. ``operation_open`` records the operation (target, amount, a random idempotency key) in the caller's
   transaction — the one that decides the money moves — so the decision and the intent to move the
   money commit together, or not at all.
2. ``operation_run`` makes the call after that commit, outside any row lock, with the stored key.
3. ``operation_complete`` records the result in a transaction of its own, under the order's lock, once.

A crash between 2 and 3 leaves the row pending; the next run (a page load, a webhook, reconciliation)
sends the same key, and first looks for an object the gateway already made for this operation (its
``ow_operation`` metadata), so a retry after the gateway forgot the key (24 hours at Stripe) still
moves the money once. The gateway refusing the request (``GatewayRefused``) fails the operation and
opens a difference for staff; the gateway being unreachable leaves it pending (``PaymentUnavailable``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.apps.order.models import PaymentEvent, PaymentEventType
from oscar.apps.payment.models import Source, SourceType

from . import ledger
from .errors import PaymentUnavailable
from .interfaces import GatewayError, GatewayRefused, Intent, Refund, TransferReversal, get_gateway
from .invoices import fee_invoices_sync
from .models import PaymentDifference, PaymentRecord, Payout, StripeOperation, StripePayment
from .money import fen_to_yuan

if TYPE_CHECKING:
    from marketplace.hiring.models import ServiceOrder

logger = logging.getLogger(__name__)

Op = StripeOperation
STRIPE_SOURCE = "Stripe"
MANUAL_SOURCE = "Bank transfer"


# --- Oscar's view of the money (the dashboard's order pages) ---------------------------------------------


def oscar_source(service_order, source_name: str) -> Source:
    source_type, _created = SourceType.objects.get_or_create(name=source_name)
    source, _created = Source.objects.get_or_create(
        order=service_order.order, source_type=source_type, defaults={"currency": service_order.order.currency}
    )
    return source


def oscar_event(service_order, event_name: str, amount_fen: int, reference: str) -> None:
    event_type, _created = PaymentEventType.objects.get_or_create(name=event_name)
    event = PaymentEvent.objects.create(
        order=service_order.order, amount=fen_to_yuan(amount_fen), reference=reference[:128], event_type=event_type
    )
    for line in service_order.order.lines.all():
        event.line_quantities.create(line=line, quantity=line.quantity)


def refund_entry(  # noqa: PLR0913 - a refund's parts
    service_order, *, amount_fen: int, reference: str, intent_id: str, origin: str, source: str, milestone_id=None
):
    """A refund on a locked order's ledger, and in Oscar's payment models. A card refund belongs to its
    charge's stage; a bank refund to ``milestone_id``'s."""
    record = ledger.entry(
        service_order,
        PaymentRecord.Kind.REFUND,
        amount_fen,
        reference,
        intent_id=intent_id,
        origin=origin,
        milestone_id=milestone_id,
    )
    oscar_source(service_order, source).refund(fen_to_yuan(amount_fen), reference=reference[:255], status="succeeded")
    oscar_event(service_order, "refunded", amount_fen, reference)
    return record


# --- 1. open ----------------------------------------------------------------------------------------------


def operation_open(
    *,
    service_order: ServiceOrder,
    kind: str,
    purpose: str,
    target: str = "",
    amount_fen: int | None = None,
    payout: Payout | None = None,
    milestone_id: int | None = None,
) -> StripeOperation:
    """Record a gateway write to make, in the caller's (deciding) transaction; the same purpose gives the same row.

    The caller holds the order's lock, so two decisions about one order cannot open two operations.
    """
    operation, _created = Op.objects.get_or_create(
        purpose=purpose[:255],
        defaults={
            "service_order": service_order,
            "kind": kind,
            "target": target,
            "amount_fen": amount_fen,
            "payout": payout,
            "milestone_id": milestone_id if milestone_id is not None else getattr(payout, "milestone_id", None),
        },
    )
    return operation


# --- 2. run -----------------------------------------------------------------------------------------------


def _metadata(operation: StripeOperation) -> dict[str, str]:
    return {"ow_operation": operation.idempotency_key, "service_order": str(operation.service_order_id)}


def _find_refund(operation: StripeOperation) -> Refund | None:
    for refund in get_gateway().refunds_list(intent_id=operation.target):
        if refund.metadata.get("ow_operation") == operation.idempotency_key:
            return refund
    return None


def _find_transfer(operation: StripeOperation, transfer_group: str) -> str | None:
    for transfer in get_gateway().transfers_list(transfer_group=transfer_group):
        if transfer.metadata.get("ow_operation") == operation.idempotency_key:
            return transfer.id
    return None


def _find_reversal(operation: StripeOperation) -> TransferReversal | None:
    for reversal in get_gateway().transfer_reversals_list(transfer_id=operation.target):
        if reversal.metadata.get("ow_operation") == operation.idempotency_key:
            return reversal
    return None


def _call(operation: StripeOperation):
    """The gateway write itself, with the operation's stored key. A retry first looks for what an earlier
    attempt made, so money moves once even after the gateway has forgotten the key."""
    gateway = get_gateway()
    retry = operation.attempts > 1
    if operation.kind == Op.Kind.INTENT_CREATE:
        return gateway.payment_intent_create(
            amount=operation.amount_fen,
            metadata={**_metadata(operation), "order_number": operation.service_order.order.number},
            idempotency_key=operation.idempotency_key,
        )
    if operation.kind == Op.Kind.INTENT_CONFIRM:
        # The confirmation itself is the buyer's (``services.payment_confirm``, with their card); a run of an
        # unfinished one never confirms again, it reads back what became of it.
        return gateway.payment_intent_retrieve(intent_id=operation.target)
    if operation.kind == Op.Kind.REFUND:
        found = _find_refund(operation) if retry else None
        return found or gateway.refund_create(
            intent_id=operation.target,
            amount=operation.amount_fen,
            idempotency_key=operation.idempotency_key,
            metadata=_metadata(operation),
        )
    if operation.kind == Op.Kind.TRANSFER:
        group = operation.service_order.order.number
        found = _find_transfer(operation, group) if retry else None
        return found or gateway.transfer_create(
            amount=operation.amount_fen,
            destination=operation.target,
            transfer_group=group,
            idempotency_key=operation.idempotency_key,
            metadata=_metadata(operation),
        )
    if operation.kind == Op.Kind.REVERSAL:
        found = _find_reversal(operation) if retry else None
        return found or gateway.transfer_reversal_create(
            transfer_id=operation.target,
            amount=operation.amount_fen,
            idempotency_key=operation.idempotency_key,
            metadata=_metadata(operation),
        )
    raise ValueError(f"unknown operation kind {operation.kind}")


def operation_run(*, operation: StripeOperation) -> StripeOperation:
    """Make a pending operation's gateway call and record its result. Call it outside any transaction that
    holds a lock (after the opening transaction committed). Raises ``PaymentUnavailable`` (still pending)."""
    operation = Op.objects.select_related("service_order__order").get(pk=operation.pk)
    if operation.status != Op.Status.PENDING:
        return operation
    Op.objects.filter(pk=operation.pk).update(attempts=F("attempts") + 1, last_attempt_at=timezone.now())
    operation.attempts += 1
    try:
        result = _call(operation)
    except GatewayRefused as error:
        return operation_fail(operation=operation, error=str(error))
    except GatewayError:
        logger.warning("gateway write %s (%s) failed; it stays pending", operation.pk, operation.kind)
        raise PaymentUnavailable(
            _("The payment service could not be reached; the operation will be retried."),
            code="gateway_unavailable",
        ) from None
    return operation_complete(operation=operation, result=result)


def operations_run_pending(*, service_order: ServiceOrder) -> list[StripeOperation]:
    """Run every pending refund, transfer and reversal of one order; ``PaymentUnavailable`` if one could not run."""
    unavailable = None
    done = []
    pending = Op.objects.filter(
        service_order_id=service_order.pk,
        status=Op.Status.PENDING,
        kind__in=(Op.Kind.REFUND, Op.Kind.TRANSFER, Op.Kind.REVERSAL),
    )
    for operation in pending:
        try:
            done.append(operation_run(operation=operation))
        except PaymentUnavailable as error:
            unavailable = error
    if unavailable is not None:
        raise unavailable
    return done


def operations_run_after_commit(service_order: ServiceOrder) -> None:
    """After the deciding transaction commits: run its operations; what cannot run now waits for a retry."""

    def run():
        try:
            operations_run_pending(service_order=service_order)
        except PaymentUnavailable:
            pass  # pending; reconciliation retries it with the same key

    transaction.on_commit(run)


# --- 3. complete -------------------------------------------------------------------------------------------


def _finish(operation: StripeOperation, *, status: str, result_id: str = "", error: str = "") -> None:
    operation.status = status
    operation.result_id = result_id[:255]
    operation.error = error[:255]
    operation.completed_at = timezone.now()
    operation.save(update_fields=["status", "result_id", "error", "completed_at"])


@transaction.atomic
def operation_complete(*, operation: StripeOperation, result) -> StripeOperation:
    """Record what the gateway did for the operation, once (a second completion changes nothing)."""
    service_order = ledger.lock(operation.service_order)
    operation = Op.objects.select_for_update().get(pk=operation.pk)
    if operation.status != Op.Status.PENDING:
        return operation
    if operation.kind == Op.Kind.INTENT_CREATE:
        intent: Intent = result
        StripePayment.objects.get_or_create(
            intent_id=intent.id,
            defaults={
                "service_order": service_order,
                "client_secret": intent.client_secret,
                "amount_fen": intent.amount,
                "status": intent.status,
                "milestone_id": operation.milestone_id,
            },
        )
        _finish(operation, status=Op.Status.SUCCEEDED, result_id=intent.id)
    elif operation.kind == Op.Kind.INTENT_CONFIRM:
        intent = result
        failed = intent.status in ("requires_payment_method", "canceled")
        _finish(operation, status=Op.Status.FAILED if failed else Op.Status.SUCCEEDED, result_id=intent.status)
    elif operation.kind == Op.Kind.REFUND:
        refund: Refund = result
        if ledger.recorded(refund.id) is None:  # a webhook or reconciliation may have recorded it already
            refund_entry(
                service_order,
                amount_fen=refund.amount,
                reference=refund.id,
                intent_id=operation.target,
                origin=PaymentRecord.Origin.PLATFORM,
                source=STRIPE_SOURCE,
            )
        _finish(operation, status=Op.Status.SUCCEEDED, result_id=refund.id)
    elif operation.kind == Op.Kind.TRANSFER:
        transfer_id: str = result
        if ledger.recorded(transfer_id) is None:
            ledger.entry(
                service_order,
                PaymentRecord.Kind.TRANSFER,
                operation.amount_fen,
                transfer_id,
                milestone_id=operation.milestone_id,
            )
        Payout.objects.filter(pk=operation.payout_id).update(
            status=Payout.Status.PAID, transfer_id=transfer_id, paid_at=timezone.now(), hold_reason=""
        )
        fee_invoices_sync(service_order)
        _finish(operation, status=Op.Status.SUCCEEDED, result_id=transfer_id)
    elif operation.kind == Op.Kind.REVERSAL:
        reversal = result
        if ledger.recorded(reversal.id) is None:
            ledger.entry(
                service_order, PaymentRecord.Kind.REVERSAL, reversal.amount, reversal.id, intent_id=operation.target
            )
        _finish(operation, status=Op.Status.SUCCEEDED, result_id=reversal.id)
        shortfall_settle(service_order)
    PaymentDifference.objects.filter(
        kind=PaymentDifference.Kind.STALLED_OPERATION, key=operation.idempotency_key, resolved_at__isnull=True
    ).update(resolved_at=timezone.now(), resolution=f"finished: {operation.status}")
    return operation


def shortfall_settle(service_order) -> None:
    """A reversal landed: once the order holds nothing negative, its shortfall difference is resolved."""
    if ledger.ledger_balance(service_order=service_order).held >= 0:
        PaymentDifference.objects.filter(
            service_order=service_order, kind=PaymentDifference.Kind.SHORTFALL, resolved_at__isnull=True
        ).update(resolved_at=timezone.now(), resolution="recovered by transfer reversal")


@transaction.atomic
def operation_fail(*, operation: StripeOperation, error: str) -> StripeOperation:
    """The gateway refused the write: the operation is failed and a difference holds the order's payout."""
    ledger.lock(operation.service_order)
    operation = Op.objects.select_for_update().get(pk=operation.pk)
    if operation.status != Op.Status.PENDING:
        return operation
    _finish(operation, status=Op.Status.FAILED, error=error)
    if operation.kind != Op.Kind.INTENT_CREATE:
        difference_open(
            service_order=operation.service_order,
            kind=PaymentDifference.Kind.FAILED_OPERATION,
            key=operation.idempotency_key,
            detail=f"{operation.get_kind_display()} for {operation.purpose} was refused: {error}",
            amount_fen=operation.amount_fen,
        )
    return operation


def difference_open(*, service_order, kind: str, key: str, detail: str, amount_fen: int | None = None):
    """Open a difference (one open per kind and key) in the caller's transaction."""
    difference, _created = PaymentDifference.objects.get_or_create(
        kind=kind,
        key=key[:255],
        resolved_at__isnull=True,
        defaults={"service_order": service_order, "detail": detail[:500], "amount_fen": amount_fen},
    )
    return difference
