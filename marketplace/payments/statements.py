"""Finance statements: the ledger lines of one party's orders over a period, for its bookkeeping.

A buyer's statement holds what its enterprises paid and got back (charges, refunds, chargebacks) —
its receipt, as ``selectors.ledger_entries`` shows it per order. A provider's holds every line of its
providers' orders: the charge, the platform's fee, the transfer to the provider and what undid any of
them. Each line is a ``PaymentRecord`` as written, so a statement's totals per kind are the ledger's
(``ledger.ledger_balance``) for the orders and period it covers; nothing here computes money anew.

The period is whole days in the platform's time zone, both ends included.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.utils import timezone

from marketplace.core.selectors import ActingOrganisations

from .models import FeeInvoice, InvoiceRequest, PaymentRecord
from .money import fen_to_yuan
from .selectors import BUYER_KINDS

Kind = PaymentRecord.Kind
BUYER, PROVIDER = "buyer", "provider"


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[first instant, instant after the last day) in the current time zone."""
        zone = timezone.get_current_timezone()
        first = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        after = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        return first, after


def sides(organisations: ActingOrganisations) -> list[str]:
    """The statements this person may ask for: their enterprises' (buyer), their providers' (provider)."""
    return [
        side for side, ids in ((BUYER, organisations.enterprise_ids), (PROVIDER, organisations.provider_ids)) if ids
    ]


def statement_lines(*, organisations: ActingOrganisations, side: str, period: Period) -> QuerySet[PaymentRecord]:
    """The ledger lines of ``side``'s orders in ``period``, oldest first, with their order and provider.

    Scoped by the organisations passed in (the acting person's): another organisation's orders never
    appear, whatever the period."""
    first, after = period.bounds()
    lines = PaymentRecord.objects.filter(created_at__gte=first, created_at__lt=after)
    if side == BUYER:
        lines = lines.filter(service_order__enterprise_id__in=organisations.enterprise_ids, kind__in=BUYER_KINDS)
    elif side == PROVIDER:
        lines = lines.filter(service_order__provider_id__in=organisations.provider_ids)
    else:
        raise ValueError(f"no such statement side: {side!r}")
    return lines.select_related("service_order__order", "service_order__provider", "service_order__enterprise")


def kind_totals(lines: QuerySet[PaymentRecord]) -> dict[str, int]:
    """Fen per kind over ``lines``, in one query."""
    return dict(lines.order_by().values_list("kind").annotate(total=Sum("amount_fen")).values_list("kind", "total"))


def net(side: str, fen_by_kind: dict[str, int]) -> int:
    """The statement's bottom line in fen: for a buyer, paid less what came back (refunds,
    chargebacks); for a provider, transferred to it less transfers reversed (net of the platform's
    fee, which the ledger keeps out of the transfer)."""
    get = fen_by_kind.get
    if side == BUYER:
        return get(Kind.CHARGE, 0) - get(Kind.REFUND, 0) - get(Kind.CHARGEBACK, 0)
    return get(Kind.TRANSFER, 0) - get(Kind.REVERSAL, 0)


HEADER = ("date", "order", "enterprise", "provider", "kind", "amount_cny", "reference")


def rows(lines: QuerySet[PaymentRecord]) -> Iterator[tuple]:
    """One row per line for CSV and XLSX: local date and time, order number, both parties, the kind's
    label, the amount in yuan (a ``Decimal``, always positive; the kind says which way it went), the
    gateway's reference."""
    for line in lines.iterator(chunk_size=500):
        order = line.service_order
        yield (
            timezone.localtime(line.created_at).strftime("%Y-%m-%d %H:%M"),
            order.order.number,
            order.enterprise.name,
            order.provider.name,
            line.get_kind_display(),
            fen_to_yuan(line.amount_fen),
            line.reference,
        )


INVOICE_HEADER = ("date", "record", "order", "enterprise", "provider", "kind", "status", "number", "amount_cny")


def invoice_rows(*, organisations: ActingOrganisations, side: str, period: Period) -> Iterator[tuple]:
    """The invoices of ``side``'s orders in ``period``: the invoice requests (by the day asked), and for a
    provider also the platform's fee invoice records to it (by the day issued; a credit note's amount is
    negative)."""
    first, after = period.bounds()
    requests = InvoiceRequest.objects.filter(requested_at__gte=first, requested_at__lt=after).exclude(
        status=InvoiceRequest.Status.WITHDRAWN
    )
    scope = "service_order__enterprise_id__in" if side == BUYER else "service_order__provider_id__in"
    ids = organisations.enterprise_ids if side == BUYER else organisations.provider_ids
    related = ("service_order__order", "service_order__provider", "service_order__enterprise")
    for request in requests.filter(**{scope: ids}).select_related(*related).order_by("requested_at", "pk"):
        order = request.service_order
        yield (
            timezone.localtime(request.requested_at).strftime("%Y-%m-%d %H:%M"),
            "invoice_request",
            order.order.number,
            order.enterprise.name,
            order.provider.name,
            request.get_kind_display(),
            request.get_status_display(),
            request.invoice_number,
            fen_to_yuan(request.amount_fen),
        )
    if side != PROVIDER:
        return
    fees = FeeInvoice.objects.filter(issued_at__gte=first, issued_at__lt=after, provider_id__in=ids)
    for record in fees.select_related(*related).order_by("issued_at", "pk"):
        order = record.service_order
        yield (
            timezone.localtime(record.issued_at).strftime("%Y-%m-%d %H:%M"),
            "platform_fee_invoice",
            order.order.number,
            order.enterprise.name,
            order.provider.name,
            record.get_kind_display(),
            "",
            record.number,
            fen_to_yuan(record.signed_fen),
        )
