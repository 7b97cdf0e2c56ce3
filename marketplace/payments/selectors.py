"""Money as each party may see it: the buyer their orders' receipts, the provider their earnings, staff all.

Which orders a user may pay or read the receipt of is hiring's question (``hiring.selectors``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from providers.selectors import providers_for_user

from .models import PaymentRecord, Payout

if TYPE_CHECKING:  # annotations only: payments never imports hiring
    from marketplace.hiring.models import ServiceOrder


def ledger_entries(*, service_order: ServiceOrder, buyer_view: bool) -> QuerySet[PaymentRecord]:
    entries = PaymentRecord.objects.filter(service_order=service_order)
    if buyer_view:  # the buyer's receipt: what they paid and got back, not the platform's split
        entries = entries.filter(kind__in=(PaymentRecord.Kind.CHARGE, PaymentRecord.Kind.REFUND))
    return entries


def payouts_for_user(*, user) -> QuerySet[Payout]:
    return Payout.objects.filter(provider__in=providers_for_user(user=user)).select_related(
        "service_order__order", "provider"
    )
