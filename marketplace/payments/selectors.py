"""Money as each party may see it: the buyer their orders' receipts, the provider their earnings, staff all."""

from django.db.models import QuerySet

from marketplace.hiring import selectors as hiring_selectors
from marketplace.hiring.models import ServiceOrder
from providers.selectors import providers_for_user

from .models import PaymentRecord, Payout


def order_for_payer(*, user, pk: int) -> ServiceOrder:
    """An order the user may pay: one of their enterprises' orders. ``DoesNotExist`` otherwise."""
    from marketplace.enterprises.selectors import enterprises_for_user

    return hiring_selectors.orders_for_user(user=user).get(pk=pk, enterprise__in=enterprises_for_user(user=user))


def order_for_receipt(*, user, pk: int) -> ServiceOrder:
    """The buyer's own order, or any order for staff. ``DoesNotExist`` otherwise."""
    if user.is_authenticated and user.is_staff:
        return hiring_selectors.order_for_user(user=user, pk=pk)
    return order_for_payer(user=user, pk=pk)


def ledger_entries(*, service_order: ServiceOrder, buyer_view: bool) -> QuerySet[PaymentRecord]:
    entries = PaymentRecord.objects.filter(service_order=service_order)
    if buyer_view:  # the buyer's receipt: what they paid and got back, not the platform's split
        entries = entries.filter(kind__in=(PaymentRecord.Kind.CHARGE, PaymentRecord.Kind.REFUND))
    return entries


def payouts_for_user(*, user) -> QuerySet[Payout]:
    return Payout.objects.filter(provider__in=providers_for_user(user=user)).select_related(
        "service_order__order", "provider"
    )
