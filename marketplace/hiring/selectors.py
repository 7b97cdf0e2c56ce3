"""Orders as the acting user may see them: their enterprises' orders, their provider's, or (staff) all."""

from django.db.models import F, Q, QuerySet

from marketplace.enterprises.selectors import enterprises_for_user
from providers.selectors import providers_for_user

from .models import Contract, Dispute, ServiceOrder, Status

# The one on-time rule behind every figure (provider profile, credit record, statistics, staff
# oversight): among completed orders that had a deadline and a delivery (``timed_deliveries``),
# those delivered by the deadline, extensions included.
DELIVERED_ON_TIME = Q(delivered_at__lte=F("due_at"))


def timed_deliveries() -> QuerySet[ServiceOrder]:
    return ServiceOrder.objects.filter(order__status=Status.COMPLETED, due_at__isnull=False, delivered_at__isnull=False)


def _base() -> QuerySet[ServiceOrder]:
    return ServiceOrder.objects.select_related("order", "enterprise", "provider", "category")


def orders_for_user(*, user) -> QuerySet[ServiceOrder]:
    """Orders where the user acts for the buyer enterprise or the provider (never others')."""
    if not user.is_authenticated:
        return ServiceOrder.objects.none()
    return _base().filter(
        Q(enterprise__in=enterprises_for_user(user=user)) | Q(provider__in=providers_for_user(user=user))
    )


def order_for_user(*, user, pk: int) -> ServiceOrder:
    """One order for a party to it; staff may open any (they resolve disputes). ``DoesNotExist`` otherwise."""
    if user.is_authenticated and user.is_staff:
        return _base().get(pk=pk)
    return orders_for_user(user=user).get(pk=pk)


def disputes_open() -> QuerySet[Dispute]:
    return Dispute.objects.filter(resolved_at__isnull=True).select_related(
        "service_order__order", "service_order__enterprise", "service_order__provider"
    )


def order_for_payer(*, user, pk: int) -> ServiceOrder:
    """An order the user may pay: one of their enterprises' orders. ``DoesNotExist`` otherwise."""
    return orders_for_user(user=user).get(pk=pk, enterprise__in=enterprises_for_user(user=user))


def order_for_receipt(*, user, pk: int) -> ServiceOrder:
    """The buyer's own order, or any order for staff. ``DoesNotExist`` otherwise."""
    if user.is_authenticated and user.is_staff:
        return order_for_user(user=user, pk=pk)
    return order_for_payer(user=user, pk=pk)


def contract_public(*, token: str) -> Contract | None:
    """A contract behind its QR code, with who sealed it; the token is the only key the public has."""
    return (
        Contract.objects.select_related("document", "service_order__enterprise", "service_order__provider")
        .prefetch_related("seals")
        .filter(token=token)
        .first()
    )
