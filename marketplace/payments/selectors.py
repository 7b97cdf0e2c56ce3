"""Money as each party may see it: the buyer their orders' receipts, the provider their earnings, staff all.

Which orders a user may pay or read the receipt of is hiring's question (``hiring.selectors``). The staff
reads (differences, chargebacks, the outbox) take no user: the views that call them are staff-only.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from providers.selectors import providers_for_user

from .models import Chargeback, PaymentDifference, PaymentRecord, Payout, StripeOperation
from .money import fen_to_yuan

if TYPE_CHECKING:  # annotations only: payments never imports hiring
    from marketplace.hiring.models import ServiceOrder


# The buyer's side of the ledger (its receipt and its finance statement): what it paid and got back,
# by refund or by its bank's chargeback — not the platform's split between fee and provider.
BUYER_KINDS = (PaymentRecord.Kind.CHARGE, PaymentRecord.Kind.REFUND, PaymentRecord.Kind.CHARGEBACK)


def ledger_entries(*, service_order: ServiceOrder, buyer_view: bool) -> QuerySet[PaymentRecord]:
    entries = PaymentRecord.objects.filter(service_order=service_order)
    if buyer_view:
        entries = entries.filter(kind__in=BUYER_KINDS)
    return entries


def payouts_for_user(*, user) -> QuerySet[Payout]:
    return Payout.objects.filter(provider__in=providers_for_user(user=user)).select_related(
        "service_order__order", "provider"
    )


# --- staff: the money desk (the open differences are ``reconciliation.differences_open``) ----------------


def differences_resolved_since(*, since: datetime.datetime) -> QuerySet[PaymentDifference]:
    """Differences closed since ``since`` — by staff, or stored already corrected by reconciliation — most
    recently closed first, with who closed them."""
    return (
        PaymentDifference.objects.filter(resolved_at__gte=since)
        .select_related("service_order__order", "resolved_by")
        .order_by("-resolved_at", "-pk")
    )


def difference_find(*, pk: int) -> PaymentDifference | None:
    return PaymentDifference.objects.filter(pk=pk).first()


def chargebacks_open() -> QuerySet[Chargeback]:
    """Card disputes the card network has not decided yet (their orders' payouts wait), newest first."""
    return Chargeback.objects.filter(closed_at__isnull=True).select_related("service_order__order")


def order_operations(*, service_order: ServiceOrder) -> list[StripeOperation]:
    """The order's outbox: every gateway write decided for it, oldest first, each with ``amount`` in yuan
    (``None`` for a write without an amount of its own, such as confirming an intent)."""
    operations = list(StripeOperation.objects.filter(service_order=service_order))
    for operation in operations:
        operation.amount = fen_to_yuan(operation.amount_fen) if operation.amount_fen is not None else None
    return operations


def order_differences_open(*, service_order: ServiceOrder) -> QuerySet[PaymentDifference]:
    return PaymentDifference.objects.filter(service_order=service_order, resolved_at__isnull=True)
