"""Read queries behind the staff watch lists (``/oversight/``): what needs a person's attention now.

Each function returns one queryset that renders a whole page in a constant number of queries: the
figures a row shows (days overdue, window averages, listing counts) are annotations or plain
arithmetic on loaded fields, never a query per row. Staff see everything, so nothing here is
scoped to an organisation; the views admit only staff.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from marketplace.catalogue.models import Product
from marketplace.hiring import selectors as hiring_selectors
from marketplace.hiring.models import Dispute, ServiceOrder, Status
from marketplace.payments import invoices
from marketplace.payments.models import InvoiceRequest
from marketplace.procurement import selectors as procurement_selectors
from marketplace.procurement.models import Objection
from marketplace.ratings.models import Rating
from providers.models import Provider, Qualification
from providers.selectors import all_listings

from . import conf

# --- overdue orders ------------------------------------------------------------------------------

# Statuses in which a delivery stops the clock (``ServiceOrder.is_overdue``'s first branch).
DELIVERY_STANDS = (Status.DELIVERED, Status.COMPLETED)
# Statuses in which an undelivered order can no longer be late.
CLOCK_STOPPED = (Status.CANCELLED, Status.REFUNDED)


def overdue_orders_q(*, now: datetime.datetime) -> Q:
    """Orders past their deadline with no delivery standing: ``is_overdue(now)`` minus late deliveries.

    ``ServiceOrder.is_overdue`` also counts a delivery that came late; such an order needs no one's
    attention now, so the watch list keeps only the branch where the clock is still running:
    a deadline in the past, no standing delivery, not accepted, not cancelled or refunded.
    """
    delivered = Q(delivered_at__isnull=False, order__status__in=DELIVERY_STANDS)
    return (
        Q(due_at__isnull=False, due_at__lt=now, accepted_at__isnull=True)
        & ~delivered
        & ~Q(order__status__in=CLOCK_STOPPED)
    )


def overdue_orders(*, now: datetime.datetime | None = None) -> QuerySet[ServiceOrder]:
    """Most overdue first (the earliest deadline); one query per page."""
    now = now or timezone.now()
    return (
        ServiceOrder.objects.filter(overdue_orders_q(now=now))
        .select_related("order", "enterprise", "provider", "category")
        .order_by("due_at", "pk")
    )


def days_overdue(service_order: ServiceOrder, *, now: datetime.datetime | None = None) -> int:
    """Whole days since the deadline passed (0 on the first day it is late)."""
    return ((now or timezone.now()) - service_order.due_at).days


# --- providers below a threshold -----------------------------------------------------------------


@dataclass(frozen=True)
class Windows:
    """The current window ``[current_start, now)`` and the one before it ``[previous_start, current_start)``."""

    now: datetime.datetime
    days: int

    @property
    def current_start(self) -> datetime.datetime:
        return self.now - datetime.timedelta(days=self.days)

    @property
    def previous_start(self) -> datetime.datetime:
        return self.now - datetime.timedelta(days=2 * self.days)


def _per_provider(queryset: QuerySet, aggregate, output_field):
    """A correlated subquery: ``aggregate`` over ``queryset``'s rows for the outer provider."""
    return Subquery(
        queryset.filter(provider=OuterRef("pk"))
        .order_by()
        .values("provider")
        .annotate(value=aggregate)
        .values("value")[:1],
        output_field=output_field,
    )


def _rate(on_time: str, timed: str):
    """``on_time / timed`` as a fraction, NULL (not a division error) when nothing was timed."""
    return ExpressionWrapper(Cast(F(on_time), FloatField()) / NullIf(F(timed), 0), output_field=FloatField())


def providers_below_threshold(*, now: datetime.datetime | None = None) -> QuerySet[Provider]:
    """Certified providers whose rating or on-time rate in the current window is under its threshold.

    Rating: the mean ``overall`` of ratings given in the window. On-time rate: of the completed
    orders delivered in the window with a deadline, the share delivered by it (the rule of the
    public track record, ``credit.selectors.provider_track_record``). A figure counts only when
    it rests on at least ``OVERSIGHT_MIN_SAMPLE`` ratings or orders. The previous window's figures
    come along for comparison; ``rating_breached`` / ``on_time_breached`` say which threshold fails.
    """
    windows = Windows(now=now or timezone.now(), days=conf.get("OVERSIGHT_WINDOW_DAYS"))
    minimum = conf.get("OVERSIGHT_MIN_SAMPLE")
    min_rating = Decimal(str(conf.get("OVERSIGHT_MIN_RATING")))
    min_rate = float(conf.get("OVERSIGHT_MIN_ON_TIME_RATE"))

    def ratings(start, end):
        return Rating.objects.filter(created_at__gte=start, created_at__lt=end)

    def timed(start, end):
        return hiring_selectors.timed_deliveries().filter(delivered_at__gte=start, delivered_at__lt=end)

    integer, decimal = IntegerField(), DecimalField(max_digits=3, decimal_places=2)
    on_time = Count("pk", filter=hiring_selectors.DELIVERED_ON_TIME)
    periods = {
        "current": (windows.current_start, windows.now),
        "previous": (windows.previous_start, windows.current_start),
    }
    annotations = {}
    for period, (start, end) in periods.items():
        annotations |= {
            f"{period}_rating": _per_provider(ratings(start, end), Avg("overall"), decimal),
            f"{period}_ratings": Coalesce(_per_provider(ratings(start, end), Count("pk"), integer), 0),
            f"{period}_timed": Coalesce(_per_provider(timed(start, end), Count("pk"), integer), 0),
            f"{period}_on_time": Coalesce(_per_provider(timed(start, end), on_time, integer), 0),
        }
    rating_breached = Q(current_ratings__gte=minimum, current_rating__lt=min_rating)
    on_time_breached = Q(current_timed__gte=minimum, current_on_time_rate__lt=min_rate)
    return (
        Provider.objects.filter(status=Provider.Status.CERTIFIED)
        .annotate(**annotations)
        .annotate(
            current_on_time_rate=_rate("current_on_time", "current_timed"),
            previous_on_time_rate=_rate("previous_on_time", "previous_timed"),
        )
        .annotate(
            rating_breached=ExpressionWrapper(rating_breached, output_field=BooleanField()),
            on_time_breached=ExpressionWrapper(on_time_breached, output_field=BooleanField()),
        )
        .filter(rating_breached | on_time_breached)
        .order_by(
            F("current_rating").asc(nulls_last=True),
            F("current_on_time_rate").asc(nulls_last=True),
            "name",
            "pk",
        )
    )


# --- qualifications ------------------------------------------------------------------------------


def _published_listings(*, provider_ref: str, category_ref: str) -> QuerySet[Product]:
    """Published listings of the outer qualification's provider in its service item."""
    return all_listings().filter(
        is_public=True,
        stockrecords__partner__provider=OuterRef(provider_ref),
        categories=OuterRef(category_ref),
    )


def _with_listing_count(queryset: QuerySet[Qualification]) -> QuerySet[Qualification]:
    listings = _published_listings(provider_ref="provider", category_ref="category")
    # COUNT without GROUP BY: one number per outer row (a listing joins one row per stock record).
    count = Subquery(
        listings.order_by()
        .annotate(n=Func(F("pk"), function="COUNT", template="%(function)s(DISTINCT %(expressions)s)"))
        .values("n"),
        output_field=IntegerField(),
    )
    return queryset.annotate(published_listings=Coalesce(count, 0)).select_related("provider", "category")


def expiring_qualifications(*, today: datetime.date | None = None) -> QuerySet[Qualification]:
    """Approved qualifications whose last valid day is within ``OVERSIGHT_EXPIRY_DAYS``; soonest first."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=conf.get("OVERSIGHT_EXPIRY_DAYS"))
    queryset = Qualification.objects.filter(
        status=Qualification.Status.APPROVED, valid_until__gte=today, valid_until__lte=horizon
    )
    return _with_listing_count(queryset).order_by("valid_until", "pk")


def expired_qualifications_with_listings(*, today: datetime.date | None = None) -> QuerySet[Qualification]:
    """Lapsed qualifications whose provider still has a published listing for that service item.

    Lapsed: approved (the nightly expiry has not run yet) or expired, past ``valid_until``. A
    provider who renewed (another qualification in force for the same item) is not listed: its
    listings are legitimately on sale.
    """
    today = today or timezone.localdate()
    renewed = Qualification.objects.in_force(today=today).filter(
        provider=OuterRef("provider"), category=OuterRef("category")
    )
    queryset = Qualification.objects.filter(
        status__in=(Qualification.Status.APPROVED, Qualification.Status.EXPIRED), valid_until__lt=today
    ).filter(Exists(_published_listings(provider_ref="provider", category_ref="category")), ~Exists(renewed))
    return _with_listing_count(queryset).order_by("valid_until", "pk")


def days_left(qualification: Qualification, *, today: datetime.date | None = None) -> int:
    """Days until ``valid_until`` (0 on the last valid day, negative once lapsed)."""
    return (qualification.valid_until - (today or timezone.localdate())).days


# --- objections and disputes ---------------------------------------------------------------------


def open_objections() -> QuerySet[Objection]:
    """Pending objections (the staff queue's own selector), oldest first."""
    return procurement_selectors.pending_objections().order_by("created_at", "pk")


def open_disputes() -> QuerySet[Dispute]:
    """Unresolved disputes (the staff queue's own selector), oldest first."""
    return hiring_selectors.disputes_open().order_by("created_at", "pk")


def overdue_invoice_requests(*, now: datetime.datetime | None = None) -> QuerySet[InvoiceRequest]:
    """Invoice requests a provider left unanswered past their due time, the longest overdue first."""
    return invoices.overdue_requests(now=now).order_by("due_at", "pk")


def age_in_days(opened_at: datetime.datetime, *, now: datetime.datetime | None = None) -> int:
    return ((now or timezone.now()) - opened_at).days


# --- overview ------------------------------------------------------------------------------------


def count_together(querysets: dict[str, QuerySet]) -> dict[str, int]:
    """``{name: queryset.count()}`` in one statement instead of one query per queryset.

    Each count is a scalar subquery of a single ``SELECT`` with no table of its own
    (``SELECT (SELECT COUNT(*) FROM (…) counted), …``), which SQLite and PostgreSQL both answer in
    one round trip. Each subquery is the queryset's own SQL, so each number is what ``count()`` says.
    """
    aliases = {queryset.db for queryset in querysets.values()}
    if not aliases:
        return {}
    (alias,) = aliases  # one statement runs on one database
    columns, params = [], []
    for queryset in querysets.values():
        try:
            sql, args = queryset.order_by().values("pk").query.get_compiler(using=alias).as_sql()
        except EmptyResultSet:  # ``none()``, an empty ``__in``: nothing to count
            columns.append("0")
            continue
        # ``sql`` is Django's own compilation of the queryset; every value stays a bound parameter.
        columns.append(f"(SELECT COUNT(*) FROM ({sql}) counted)")  # noqa: S608
        params.extend(args)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns), params)
        row = cursor.fetchone()
    return {name: int(count) for name, count in zip(querysets, row, strict=True)}


def overview_querysets(*, now: datetime.datetime | None = None) -> dict[str, QuerySet]:
    """Each watch list's rows, by the key the overview shows its size under."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "overdue": overdue_orders(now=now),
        "providers": providers_below_threshold(now=now),
        "expiring": expiring_qualifications(today=today),
        "expired": expired_qualifications_with_listings(today=today),
        "objections": open_objections(),
        "disputes": open_disputes(),
        "invoices": overdue_invoice_requests(now=now),
    }


def overview_counts(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many rows each watch list holds, all in one query (:func:`count_together`)."""
    return count_together(overview_querysets(now=now))
