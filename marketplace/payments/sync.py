"""What Stripe did on its own, brought into the ledger: refunds made in the dashboard, chargebacks and their
outcome, transfers and their reversals. Webhooks call these for one object; reconciliation for every
object of an order. Each reads the gateway first (outside any lock), then records under the order's lock,
once: ledger references are the gateway's ids, so a replay or a concurrent run records nothing twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from . import ledger
from .interfaces import Dispute, Refund, Transfer, get_gateway
from .models import Chargeback, PaymentDifference, PaymentRecord, StripeOperation, StripePayment
from .operations import STRIPE_SOURCE, difference_open, operation_complete, refund_entry, shortfall_settle
from .payouts import outflow_prepare, outflow_settle, payouts_release_waiting

if TYPE_CHECKING:
    from marketplace.hiring.models import ServiceOrder

logger = logging.getLogger(__name__)

Op = StripeOperation
Origin = PaymentRecord.Origin


def _found(service_order, *, key: str, detail: str, amount_fen: int, origin: str) -> None:
    """Keep a resolved difference for money the ledger learnt from Stripe rather than made (a webhook reported
    it, or reconciliation found it), so staff see every movement nobody made through the platform."""
    if origin != Origin.PLATFORM:
        PaymentDifference.objects.create(
            service_order=service_order,
            kind=PaymentDifference.Kind.RECORDED,
            key=key,
            detail=detail[:500],
            amount_fen=amount_fen,
            resolved_at=timezone.now(),
            resolution=f"recorded automatically ({origin})",
        )


@transaction.atomic
def refunds_record(*, payment: StripePayment, refunds: list[Refund], origin: str) -> int:
    """Record the intent's refunds the ledger lacks; a refund made by one of our pending operations completes
    that operation instead. Returns how many were new."""
    service_order = ledger.lock(payment.service_order)
    new = 0
    for refund in refunds:
        if refund.status not in ("succeeded", "pending") or ledger.recorded(refund.id) is not None:
            continue
        operation = Op.objects.filter(
            idempotency_key=refund.metadata.get("ow_operation", "-"), status=Op.Status.PENDING
        ).first()
        if operation is not None:
            operation_complete(operation=operation, result=refund)
            continue
        new += 1
        outflow_prepare(service_order, refund.amount, key=refund.id, milestone_id=payment.milestone_id)
        refund_entry(
            service_order,
            amount_fen=refund.amount,
            reference=refund.id,
            intent_id=payment.intent_id,
            origin=origin,
            source=STRIPE_SOURCE,
        )
        _found(
            service_order,
            key=refund.id,
            detail=f"refund {refund.id} of {payment.intent_id} made outside the platform",
            amount_fen=refund.amount,
            origin=origin,
        )
        outflow_settle(service_order, key=refund.id, milestone_id=payment.milestone_id)
    return new


def refunds_sync(*, payment: StripePayment, origin: str) -> int:
    return refunds_record(
        payment=payment, refunds=get_gateway().refunds_list(intent_id=payment.intent_id), origin=origin
    )


@transaction.atomic
def chargeback_record(*, payment: StripePayment, dispute: Dispute, origin: str) -> Chargeback:
    """Open, update or close the order's chargeback as the gateway reports it. While it is open the payout
    waits; a lost one is settled in the ledger (``CHARGEBACK``) and the payout reworked; a won one just
    lets the payout go."""
    service_order = ledger.lock(payment.service_order)
    chargeback, _created = Chargeback.objects.select_for_update().get_or_create(
        dispute_id=dispute.id,
        defaults={
            "service_order": service_order,
            "intent_id": payment.intent_id,
            "amount_fen": dispute.amount,
            "status": dispute.status,
            "reason": dispute.reason[:100],
        },
    )
    if chargeback.closed_at is not None:
        return chargeback  # a closed dispute is final; a stale report changes nothing
    chargeback.status = dispute.status
    chargeback.amount_fen = dispute.amount
    if dispute.closed:
        chargeback.closed_at = timezone.now()
        if dispute.lost and ledger.recorded(dispute.id) is None:
            outflow_prepare(service_order, dispute.amount, key=dispute.id, milestone_id=payment.milestone_id)
            ledger.entry(
                service_order,
                PaymentRecord.Kind.CHARGEBACK,
                dispute.amount,
                dispute.id,
                intent_id=payment.intent_id,
                origin=origin,
            )
            outflow_settle(service_order, key=dispute.id, milestone_id=payment.milestone_id)
        payouts_release_waiting(service_order=service_order)
    chargeback.save()
    return chargeback


def disputes_sync(*, payment: StripePayment, origin: str) -> list[Dispute]:
    disputes = get_gateway().disputes_list(intent_id=payment.intent_id)
    for dispute in disputes:
        chargeback_record(payment=payment, dispute=dispute, origin=origin)
    return disputes


@transaction.atomic
def transfers_record(*, service_order: ServiceOrder, transfers: list[Transfer], origin: str) -> None:
    """Record transfers and reversals of the order's ``transfer_group`` the ledger lacks."""
    service_order = ledger.lock(service_order)
    for transfer in transfers:
        if ledger.recorded(transfer.id) is None:
            operation = Op.objects.filter(
                idempotency_key=transfer.metadata.get("ow_operation", "-"), status=Op.Status.PENDING
            ).first()
            if operation is not None:
                operation_complete(operation=operation, result=transfer.id)
            else:
                # Money paid out that no payout of ours asked for: recorded, and held for staff to look at.
                ledger.entry(service_order, PaymentRecord.Kind.TRANSFER, transfer.amount, transfer.id, origin=origin)
                difference_open(
                    service_order=service_order,
                    kind=PaymentDifference.Kind.MISMATCH,
                    key=transfer.id,
                    detail=f"transfer {transfer.id} to {transfer.destination} was not made by a payout",
                    amount_fen=transfer.amount,
                )
        reversed_here = sum(
            PaymentRecord.objects.filter(
                service_order=service_order, kind=PaymentRecord.Kind.REVERSAL, intent_id=transfer.id
            ).values_list("amount_fen", flat=True)
        )
        if transfer.amount_reversed > reversed_here:
            # Reversed outside an operation of ours (or before its result was recorded).
            pending = Op.objects.filter(kind=Op.Kind.REVERSAL, target=transfer.id, status=Op.Status.PENDING).first()
            amount = transfer.amount_reversed - reversed_here
            reference = f"{transfer.id}-reversed-{transfer.amount_reversed}"
            ledger.entry(
                service_order, PaymentRecord.Kind.REVERSAL, amount, reference, intent_id=transfer.id, origin=origin
            )
            if pending is not None and pending.amount_fen == amount:
                pending.status, pending.result_id = Op.Status.SUCCEEDED, reference
                pending.completed_at = timezone.now()
                pending.save(update_fields=["status", "result_id", "completed_at"])
            _found(
                service_order,
                key=reference,
                detail=f"{amount} fen of transfer {transfer.id} reversed",
                amount_fen=amount,
                origin=origin,
            )
    shortfall_settle(service_order)


def transfers_sync(*, service_order: ServiceOrder, origin: str) -> None:
    transfers = get_gateway().transfers_list(transfer_group=service_order.order.number)
    if transfers:
        transfers_record(service_order=service_order, transfers=transfers, origin=origin)
