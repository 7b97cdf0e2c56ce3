"""Reconciliation: per order, what Stripe holds (intents, charges, refunds, disputes, transfers) against the
ledger and the outbox.

For each order with card money it finishes or retries unfinished outbox operations (with their stored
keys), records what Stripe did that the ledger lacks (entries marked as found by reconciliation), compares
the totals, keeps every payout of an order held while a difference is open, and releases payouts whose
hold has cleared. Unresolved differences are listed for staff (``/payments/differences/``).

Safe to run twice and concurrently: every write happens under the order's lock and is keyed by the
gateway's own ids; gateway calls happen outside any lock.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import ledger
from .errors import PaymentUnavailable
from .events import ApplyIntent, events_parked_retry
from .interfaces import GatewayError, get_gateway
from .models import Chargeback, PaymentDifference, PaymentRecord, Payout, StripeOperation, StripePayment
from .operations import difference_open, operation_run
from .payouts import payout_release, payouts_release_waiting
from .sync import disputes_sync, refunds_record, transfers_sync

if TYPE_CHECKING:
    from marketplace.hiring.models import ServiceOrder

logger = logging.getLogger(__name__)

Op = StripeOperation
Kind = PaymentRecord.Kind
ORIGIN = PaymentRecord.Origin.RECONCILIATION
# Chargebacks can come up to 120 days after a payment: orders paid since then are compared.
WINDOW = datetime.timedelta(days=120)
# An operation still pending after this many attempts and this long is put before staff.
STALLED_AFTER = (3, datetime.timedelta(hours=1))


@dataclass
class Report:
    orders: int = 0
    operations_finished: int = 0
    recorded: int = 0
    parked_processed: int = 0
    unavailable: list[int] = field(default_factory=list)  # orders the gateway could not be asked about

    def __str__(self) -> str:
        return (
            f"{self.orders} orders compared, {self.operations_finished} operations finished, "
            f"{self.recorded} movements recorded from Stripe, {self.parked_processed} parked events processed, "
            f"{len(self.unavailable)} orders left for the next run (gateway unavailable)"
        )


def orders_to_reconcile(*, now: datetime.datetime | None = None):
    """Orders with card money in the window, or anything unsettled (operations, differences, chargebacks,
    payouts waiting) whatever their age. Ids only."""
    now = now or timezone.now()
    order_ids = set(
        StripePayment.objects.filter(created_at__gte=now - WINDOW).values_list("service_order_id", flat=True)
    )
    order_ids |= set(Op.objects.filter(status=Op.Status.PENDING).values_list("service_order_id", flat=True))
    order_ids |= set(
        PaymentDifference.objects.filter(resolved_at__isnull=True, service_order__isnull=False).values_list(
            "service_order_id", flat=True
        )
    )
    order_ids |= set(Chargeback.objects.filter(closed_at__isnull=True).values_list("service_order_id", flat=True))
    order_ids |= set(
        Payout.objects.filter(status__in=(Payout.Status.PENDING, Payout.Status.HELD)).values_list(
            "service_order_id", flat=True
        )
    )
    return sorted(order_ids)


def _operations_finish(service_order, now) -> int:
    finished = 0
    for operation in Op.objects.filter(service_order_id=service_order.pk, status=Op.Status.PENDING):
        try:
            if operation_run(operation=operation).status != Op.Status.PENDING:
                finished += 1
        except PaymentUnavailable:
            operation.refresh_from_db()
            attempts, age = STALLED_AFTER
            if operation.attempts >= attempts and now - operation.created_at > age:
                with transaction.atomic():
                    difference_open(
                        service_order=service_order,
                        kind=PaymentDifference.Kind.STALLED_OPERATION,
                        key=operation.idempotency_key,
                        detail=f"{operation.get_kind_display()} for {operation.purpose}: "
                        f"{operation.attempts} attempts, the gateway could not be reached",
                        amount_fen=operation.amount_fen,
                    )
            raise
    return finished


def _totals_compare(service_order, stripe: dict[str, int]) -> None:
    """After syncing, Stripe's totals and the ledger's must agree; an open mismatch holds the payout."""
    sums = {
        kind: sum(
            PaymentRecord.objects.filter(service_order=service_order, kind=kind)
            .exclude(intent_id="")
            .values_list("amount_fen", flat=True)
        )
        for kind in (Kind.CHARGE, Kind.REFUND, Kind.CHARGEBACK)
    }
    balance = ledger.ledger_balance(service_order=service_order)
    ours = {
        "charged": sums[Kind.CHARGE],
        "refunded": sums[Kind.REFUND],
        "chargebacks": sums[Kind.CHARGEBACK],
        "transferred": balance.transferred,
    }
    key = f"totals:{service_order.pk}"
    with transaction.atomic():
        ledger.lock(service_order)
        if ours != stripe:
            difference_open(
                service_order=service_order,
                kind=PaymentDifference.Kind.MISMATCH,
                key=key,
                detail=f"Stripe {stripe} ≠ ledger {ours}",
            )
        else:
            PaymentDifference.objects.filter(
                kind=PaymentDifference.Kind.MISMATCH, key=key, resolved_at__isnull=True
            ).update(resolved_at=timezone.now(), resolution="totals agree again")


def order_reconcile(*, service_order: ServiceOrder, apply_intent: ApplyIntent, now=None) -> tuple[int, int]:
    """Reconcile one order; (operations finished, movements recorded). Raises ``GatewayError`` /
    ``PaymentUnavailable`` when the gateway cannot be asked (nothing half-done: each step commits alone)."""
    now = now or timezone.now()
    gateway = get_gateway()
    finished = _operations_finish(service_order, now)
    before = PaymentRecord.objects.filter(service_order=service_order).count()
    stripe = {"charged": 0, "refunded": 0, "chargebacks": 0, "transferred": 0}
    for payment in StripePayment.objects.filter(service_order=service_order).select_related("service_order__order"):
        intent = gateway.payment_intent_retrieve(intent_id=payment.intent_id)
        if intent.status == "succeeded":
            stripe["charged"] += intent.amount
            apply_intent(intent=intent, origin=ORIGIN)  # records a charge the ledger lacks (once)
        refunds = gateway.refunds_list(intent_id=payment.intent_id)
        stripe["refunded"] += sum(r.amount for r in refunds if r.status in ("succeeded", "pending"))
        refunds_record(payment=payment, refunds=refunds, origin=ORIGIN)
        stripe["chargebacks"] += sum(d.amount for d in disputes_sync(payment=payment, origin=ORIGIN) if d.lost)
    transfers = gateway.transfers_list(transfer_group=service_order.order.number)
    if transfers:
        transfers_sync(service_order=service_order, origin=ORIGIN)
    stripe["transferred"] = sum(t.amount - t.amount_reversed for t in transfers)
    _totals_compare(service_order, stripe)
    for payout_id in Payout.objects.filter(
        service_order=service_order, status__in=(Payout.Status.PENDING, Payout.Status.HELD)
    ).values_list("pk", flat=True):
        payout_release(payout_id=payout_id)
    return finished, PaymentRecord.objects.filter(service_order=service_order).count() - before


def payments_reconcile(*, apply_intent: ApplyIntent, now: datetime.datetime | None = None) -> Report:
    """Reconcile every order that needs it, then retry parked events. One order's failure does not stop the rest."""
    now = now or timezone.now()
    report = Report()
    order_model = PaymentRecord._meta.get_field("service_order").related_model
    for order_id in orders_to_reconcile(now=now):
        service_order = order_model.objects.select_related("order").get(pk=order_id)
        report.orders += 1
        try:
            finished, recorded = order_reconcile(service_order=service_order, apply_intent=apply_intent, now=now)
        except (GatewayError, PaymentUnavailable):
            logger.warning("reconciliation of order %s waits for the gateway", order_id)
            report.unavailable.append(order_id)
            continue
        report.operations_finished += finished
        report.recorded += recorded
    try:
        report.parked_processed = events_parked_retry(apply_intent=apply_intent, now=now)
    except GatewayError:
        logger.warning("parked events wait for the gateway")
    return report


def differences_open():
    return PaymentDifference.objects.filter(resolved_at__isnull=True).select_related("service_order__order")


@transaction.atomic
def difference_resolve(*, difference_id: int, user, resolution: str) -> PaymentDifference:
    """Staff close an open difference with a note saying what they did; the order's payout may then go."""
    if not (user and user.is_authenticated and user.is_staff):
        raise ValidationError(_("Only platform staff may resolve a payment difference."), code="staff_only")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError(_("Say what was done about this difference."), code="resolution_required")
    difference = PaymentDifference.objects.select_for_update().filter(pk=difference_id).first()
    if difference is None or difference.resolved_at is not None:
        raise ValidationError(_("This difference is already resolved."), code="resolved")
    if difference.kind == PaymentDifference.Kind.SHORTFALL and difference.service_order is not None:
        if ledger.ledger_balance(service_order=difference.service_order).held < 0:
            raise ValidationError(
                _("The order still holds less than nothing; record the recovery before closing this."),
                code="shortfall_open",
            )
    difference.resolved_at = timezone.now()
    difference.resolved_by = user
    difference.resolution = resolution[:500]
    difference.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    if difference.service_order is not None:
        payouts_release_waiting(service_order=difference.service_order)
    return difference


__all__ = ["Report", "difference_resolve", "differences_open", "order_reconcile", "payments_reconcile"]
