"""The rows the releases are built from, loaded in a fixed number of queries however many processes.

Every release's date is one of the timestamps filtered on here (``releases`` says which), so "the
processes with a release between ``start`` and ``end``" is one query per process kind, and the rows
each process's releases need come with it through ``select_related`` and ``prefetch_related``.
"""

import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from marketplace.hiring.models import ContractSeal, Extension, Milestone, OrderEvent, ServiceOrder
from marketplace.procurement.models import Objection, Quote, RequestEvent, RequestForQuotes, Selection

# The request events a release is dated by (the rest are dated by the request's and selections' own
# timestamps): the extension, the buyer's choice, a failure after a rerun, a walk-away.
REQUEST_EVENT_KINDS = ("extended", "chosen", "failed", "award_declined")
# An order ends (completion is dated by ``accepted_at``, cancellation and refund by their event).
ENDED_BY_EVENT = ("cancelled", "refunded")


def _between(field: str, start, end) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _order_prefetches(prefix: str = "") -> list[Prefetch]:
    return [
        Prefetch(
            f"{prefix}events",
            queryset=OrderEvent.objects.filter(to_status__in=ENDED_BY_EVENT).exclude(from_status__in=ENDED_BY_EVENT),
            to_attr="ocds_endings",
        ),
        Prefetch(
            f"{prefix}extensions",
            queryset=Extension.objects.filter(status=Extension.Status.GRANTED).order_by("decided_at", "pk"),
            to_attr="ocds_extensions",
        ),
        Prefetch(f"{prefix}milestones", queryset=Milestone.objects.order_by("position"), to_attr="ocds_stages"),
        Prefetch(
            f"{prefix}contract__seals",
            queryset=ContractSeal.objects.filter(party=ContractSeal.Party.PROVIDER),
            to_attr="ocds_signed",
        ),
    ]


def _order_activity(order_ref: str, start, end) -> Q:
    """``order_ref``: how the filtered model reaches the service order ("pk", or "order" from a request)."""
    ended = OrderEvent.objects.filter(
        service_order=OuterRef(order_ref), to_status__in=ENDED_BY_EVENT, created_at__gte=start, created_at__lt=end
    )
    extended = Extension.objects.filter(
        service_order=OuterRef(order_ref), status=Extension.Status.GRANTED, decided_at__gte=start, decided_at__lt=end
    )
    signed = ContractSeal.objects.filter(
        contract__service_order=OuterRef(order_ref),
        party=ContractSeal.Party.PROVIDER,
        sealed_at__gte=start,
        sealed_at__lt=end,
    )
    staged = Milestone.objects.filter(service_order=OuterRef(order_ref), settled_at__gte=start, settled_at__lt=end)
    return Exists(ended) | Exists(extended) | Exists(signed) | Exists(staged)


def requests() -> QuerySet[RequestForQuotes]:
    """Requests with everything their releases read."""
    return RequestForQuotes.objects.select_related(
        "enterprise", "category", "order__order", "order__enterprise", "order__provider", "order__category"
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=RequestEvent.objects.filter(kind__in=REQUEST_EVENT_KINDS).order_by("created_at", "pk"),
            to_attr="ocds_events",
        ),
        Prefetch(
            "selections",
            queryset=Selection.objects.select_related("winner__provider")
            .defer("table", "parameters", "weights", "algorithm")
            .order_by("round"),
            to_attr="ocds_rounds",
        ),
        Prefetch(
            "quotes",
            queryset=Quote.objects.select_related("provider").defer("note", "attachment").order_by("pk"),
            to_attr="ocds_quotes",
        ),
        Prefetch(
            "objections",
            queryset=Objection.objects.filter(status=Objection.Status.UPHELD).only(
                "pk", "request_id", "selection_id", "outcome", "decided_at"
            ),
            to_attr="ocds_upheld",
        ),
        *_order_prefetches("order__"),
    )


def direct_orders() -> QuerySet[ServiceOrder]:
    """Orders placed without a request for quotes, with everything their releases read."""
    return (
        ServiceOrder.objects.filter(request__isnull=True)
        .select_related("order", "enterprise", "provider", "category")
        .prefetch_related(*_order_prefetches())
    )


def requests_between(start: datetime.datetime, end: datetime.datetime) -> QuerySet[RequestForQuotes]:
    """Requests with at least one release dated in [start, end): a superset the caller filters exactly."""
    events = RequestEvent.objects.filter(
        request=OuterRef("pk"), kind__in=REQUEST_EVENT_KINDS, created_at__gte=start, created_at__lt=end
    )
    rounds = Selection.objects.filter(request=OuterRef("pk"), created_at__gte=start, created_at__lt=end)
    decided = Objection.objects.filter(request=OuterRef("pk"), decided_at__gte=start, decided_at__lt=end)
    activity = (
        _between("published_at", start, end)
        | _between("closed_at", start, end)
        | _between("awarded_at", start, end)
        | _between("order__created_at", start, end)
        | _between("order__paid_at", start, end)
        | _between("order__accepted_at", start, end)
        | Exists(events)
        | Exists(rounds)
        | Exists(decided)
        | _order_activity("order", start, end)
    )
    return requests().filter(activity)


def direct_orders_between(start: datetime.datetime, end: datetime.datetime) -> QuerySet[ServiceOrder]:
    activity = (
        _between("created_at", start, end)
        | _between("paid_at", start, end)
        | _between("accepted_at", start, end)
        | _order_activity("pk", start, end)
    )
    return direct_orders().filter(activity)
