"""The per-order ledger: its balance, its one way in (``entry``) and the lock every money change queues on.

Every write locks the order row first (``lock``) and ends with ``check`` in the same transaction.
Amounts are integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from .models import PaymentDifference, PaymentRecord, Payout, StripeOperation, StripePayment

if TYPE_CHECKING:  # annotations only: payments holds hiring's orders by foreign key, never imports hiring
    from marketplace.hiring.models import ServiceOrder

Kind = PaymentRecord.Kind


class LedgerError(Exception):
    """The ledger would not balance; the transaction is rolled back."""


@dataclass(frozen=True)
class Balance:
    """What the ledger says of one order. ``fees`` and ``transferred`` are net of fee returns and reversals."""

    charged: int
    refunded: int
    fees: int
    transferred: int
    chargebacks: int = 0

    @property
    def held(self) -> int:
        return self.charged - self.refunded - self.chargebacks - self.transferred - self.fees


def _sums(service_order_id: int, **filters) -> dict[str, int]:
    return dict(
        PaymentRecord.objects.filter(service_order_id=service_order_id, **filters)
        .values_list("kind")
        .annotate(total=Sum("amount_fen"))
        .values_list("kind", "total")
    )


def ledger_balance(*, service_order: ServiceOrder, milestone_id: int | None = None) -> Balance:
    """The order's balance, or with ``milestone_id`` one stage's (its entries only)."""
    sums = _sums(service_order.pk, **({"milestone_id": milestone_id} if milestone_id else {}))
    return Balance(
        charged=sums.get(Kind.CHARGE, 0),
        refunded=sums.get(Kind.REFUND, 0),
        fees=sums.get(Kind.FEE, 0) - sums.get(Kind.FEE_RETURN, 0),
        transferred=sums.get(Kind.TRANSFER, 0) - sums.get(Kind.REVERSAL, 0),
        chargebacks=sums.get(Kind.CHARGEBACK, 0),
    )


def _pending(service_order_id, kind: str) -> QuerySet[StripeOperation]:
    return StripeOperation.objects.filter(
        service_order_id=service_order_id, kind=kind, status=StripeOperation.Status.PENDING
    )


def pending_outflow(
    *, service_order: ServiceOrder, kind: str = StripeOperation.Kind.REFUND, milestone_id: int | None = None
) -> int:
    """Money an unfinished outbox operation (refunds by default) is about to move out of the order, or out
    of one of its stages."""
    pending = _pending(service_order.pk, kind)
    if milestone_id:
        pending = pending.filter(milestone_id=milestone_id)
    return pending.aggregate(total=Sum("amount_fen"))["total"] or 0


def _total(rows: QuerySet) -> Coalesce:
    """The sum of ``amount_fen`` over ``rows`` (filtered on one order), as a subquery; 0 for none."""
    total = rows.order_by().values("service_order_id").annotate(total=Sum("amount_fen")).values("total")
    return Coalesce(Subquery(total), 0, output_field=BigIntegerField())


def refund_annotations() -> dict[str, Coalesce]:
    """For a query of orders: ``refunded_fen`` (the ledger's ``Balance.refunded``) and
    ``refund_pending_fen`` (``pending_outflow`` of refunds), so a page that shows an order's refunds
    reads them in the order's own query."""
    order = OuterRef("pk")
    return {
        "refunded_fen": _total(PaymentRecord.objects.filter(service_order_id=order, kind=Kind.REFUND)),
        "refund_pending_fen": _total(_pending(order, StripeOperation.Kind.REFUND)),
    }


def charge_left(*, service_order: ServiceOrder, intent_id: str) -> int:
    """What can still be refunded of one card charge: its amount less refunds, chargebacks and refunds under way."""
    sums = _sums(service_order.pk, intent_id=intent_id)
    pending = StripeOperation.objects.filter(
        service_order_id=service_order.pk,
        kind=StripeOperation.Kind.REFUND,
        target=intent_id,
        status=StripeOperation.Status.PENDING,
    ).aggregate(total=Sum("amount_fen"))["total"]
    return sums.get(Kind.CHARGE, 0) - sums.get(Kind.REFUND, 0) - sums.get(Kind.CHARGEBACK, 0) - (pending or 0)


def shortfall_open(service_order: ServiceOrder) -> bool:
    return PaymentDifference.objects.filter(
        service_order_id=service_order.pk, kind=PaymentDifference.Kind.SHORTFALL, resolved_at__isnull=True
    ).exists()


def check(service_order: ServiceOrder, milestone_id: int | None = None) -> Balance:
    """The order's balance after a write, refused (``LedgerError``) unless it balances — and, for an entry of
    a stage, the stage's balance too: one stage's money never pays another's refund or payout."""
    if milestone_id:
        _check(ledger_balance(service_order=service_order, milestone_id=milestone_id), service_order, milestone_id)
    return _check(ledger_balance(service_order=service_order), service_order)


def _check(balance: Balance, service_order: ServiceOrder, milestone_id: int | None = None) -> Balance:
    scope = f"order {service_order.pk}" + (f" stage {milestone_id}" if milestone_id else "")
    if balance.refunded + balance.chargebacks > balance.charged or balance.fees < 0 or balance.transferred < 0:
        raise LedgerError(f"ledger of {scope} does not balance: {balance}")
    if balance.held < 0 and not shortfall_open(service_order):
        raise LedgerError(f"ledger of {scope} would hold less than nothing: {balance}")
    return balance


def milestone_of(reference: str) -> int | None:
    """The stage a card intent (its charge, refunds, chargebacks) or a payout's transfer belongs to."""
    if not reference:
        return None
    stage = StripePayment.objects.filter(intent_id=reference).values_list("milestone_id", flat=True).first()
    if stage is None:
        stage = Payout.objects.filter(transfer_id=reference).values_list("milestone_id", flat=True).first()
    return stage


def entry(
    service_order: ServiceOrder,
    kind: str,
    amount_fen: int,
    reference: str,
    *,
    intent_id: str = "",
    origin: str = PaymentRecord.Origin.PLATFORM,
    milestone_id: int | None = None,
) -> PaymentRecord:
    """Write one ledger entry for a locked order and check the balance (``LedgerError`` rolls it all back).

    The entry belongs to ``milestone_id``'s stage, or, unless given, to the stage of the intent or transfer
    it names (``milestone_of``); an order paid at once has no stages."""
    if milestone_id is None:
        milestone_id = milestone_of(intent_id)
    record = PaymentRecord.objects.create(
        service_order=service_order,
        kind=kind,
        amount_fen=amount_fen,
        reference=reference[:128],
        intent_id=intent_id,
        origin=origin,
        milestone_id=milestone_id,
    )
    check(service_order, milestone_id)
    return record


def recorded(reference: str) -> PaymentRecord | None:
    return PaymentRecord.objects.filter(reference=reference[:128]).first()


def lock(service_order: ServiceOrder) -> ServiceOrder:
    """Lock the order row, the queue every money change of an order waits in.

    Its model is reached through our own foreign key (a data reference) so payments does not import hiring.
    """
    order_model = PaymentRecord._meta.get_field("service_order").related_model
    return order_model.objects.select_for_update().select_related("order").get(pk=service_order.pk)
