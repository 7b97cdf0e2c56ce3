"""Orders as the acting user may see them: their enterprises' orders, their provider's, or (staff) all."""

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from marketplace.core.selectors import ActingOrganisations
from marketplace.enterprises.selectors import enterprises_for_user
from marketplace.payments.ledger import refund_annotations
from providers.selectors import providers_for_user

from .models import (
    Contract,
    ContractSeal,
    Deliverable,
    DeliveryNote,
    Dispute,
    Extension,
    Milestone,
    ServiceOrder,
    Status,
)
from .services import BUYER, PROVIDER, STAFF

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


def _openable(user) -> QuerySet[ServiceOrder]:
    """The orders ``user`` may open: a party's own; any for staff (they resolve disputes)."""
    if user.is_authenticated and user.is_staff:
        return _base()
    return orders_for_user(user=user)


def order_for_user(*, user, pk: int) -> ServiceOrder:
    """One order for a party to it; staff may open any (they resolve disputes). ``DoesNotExist`` otherwise."""
    return _openable(user).get(pk=pk)


def _has(model) -> Exists:
    return Exists(model.objects.filter(service_order=OuterRef("pk")))


def order_page(*, user, pk: int) -> ServiceOrder:
    """:func:`order_for_user` with what the order page shows beside it, in a fixed number of queries.

    The order's query also reads its contract and the contract's document (not its PDF), the refund
    figures (``refunded_fen``, ``refund_pending_fen``) and whether the order has deliverables,
    delivery notes, extension requests, disputes and stages (``has_deliverables`` ...), so the page asks for
    only the lists there are. Its history and the contract's seals, with who applied each, come
    prefetched: one query each, however long they grow.
    """
    return (
        _openable(user)
        .select_related("contract__document")
        .defer("contract__document__pdf")
        .annotate(
            has_deliverables=_has(Deliverable),
            has_delivery_notes=_has(DeliveryNote),
            has_extensions=_has(Extension),
            has_disputes=_has(Dispute),
            has_milestones=_has(Milestone),
            **refund_annotations(),
        )
        .prefetch_related("events", Prefetch("contract__seals", queryset=ContractSeal.objects.select_related("actor")))
        .get(pk=pk)
    )


def order_party(service_order: ServiceOrder, user, organisations: ActingOrganisations) -> str | None:
    """``services.party_of`` answered from the organisations ``user`` acts for, read once per request
    (``core.selectors.request_organisations``): for pages that only show. A service that changes the
    order asks ``party_of`` afresh."""
    if service_order.enterprise_id in organisations.enterprise_ids:
        return BUYER
    if service_order.provider_id in organisations.provider_ids:
        return PROVIDER
    if user.is_authenticated and user.is_staff:
        return STAFF
    return None


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
