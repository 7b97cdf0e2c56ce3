"""Market statistics over the last twelve months, computed from orders, requests and ratings.

Every figure is computed here, in a fixed number of queries whatever the amount of data: counts,
sums and per-provider totals are grouped in the database (by month, top-level service item,
province and provider); only the order statistics that no portable SQL has (medians, quartiles)
are taken in Python over one column of values.

Definitions (published on the page):

- *month* of an event: the calendar month in ``settings.TIME_ZONE``; the window is the current
  month and the eleven before it.
- *service item*: the top-level category of the order or request.
- *region*: the province (GB/T 2260 ``PP0000``) of the project — the request's region for an
  order awarded through a request, otherwise the buyer enterprise's region.
- *requests published*: requests for quotes by ``published_at``.
- *orders completed*: service orders whose Oscar order is ``completed``, by ``accepted_at``;
  their *value* is the agreed price.
- *median days to award*: from a request's publication to its award, for requests awarded in
  the period.
- *on-time rate*: among orders delivered in the period (``delivered_at`` set), the share with
  ``delivered_at <= due_at``.
- *satisfaction*: among ratings given in the period, the share with an overall score of 4 or
  more; and the mean of each dimension.
- *price quartiles*: of completed orders' prices, ``statistics.quantiles(n=4,
  method="inclusive")`` (linear interpolation between order statistics, as spreadsheets'
  QUARTILE.INC).
- *concentration*: Herfindahl–Hirschman index over completed order value, shares in percent:
  HHI = Σ share², 0–10,000; above 2,500 the market is flagged concentrated.
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.utils import timezone

from marketplace.catalogue.models import Category
from marketplace.hiring.models import ServiceOrder, Status
from marketplace.hiring.selectors import DELIVERED_ON_TIME
from marketplace.procurement.models import RequestForQuotes
from marketplace.ratings.models import DIMENSIONS, Rating
from providers.models import Provider

MONTHS = 12
CONCENTRATED_HHI = Decimal("2500")
TOP_PROVIDERS = 3
PATH_STEP = 4  # django-treebeard's materialised path: four characters per level
ONE = Decimal("1")
TENTH = Decimal("0.1")
CENT = Decimal("0.01")


def _round(value, places: Decimal) -> str | None:
    """A Decimal rounded half up, as a string (JSON-safe, and the same on the page and in CSV)."""
    if value is None:
        return None
    return str(Decimal(value).quantize(places, ROUND_HALF_UP))


def _percent(part: int, whole: int) -> str | None:
    return _round(Decimal(100) * part / whole, TENTH) if whole else None


# --- Pure statistics -----------------------------------------------------------------------------


def quartiles(values) -> tuple[Decimal, Decimal, Decimal] | None:
    """(Q1, median, Q3) by ``statistics.quantiles(method="inclusive")``; None without values."""
    data = sorted(Decimal(v) for v in values)
    if not data:
        return None
    if len(data) == 1:
        return data[0], data[0], data[0]
    q1, q2, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return q1, q2, q3


def concentration(values_by_provider: dict[int, Decimal]) -> dict:
    """HHI over provider values: shares in percent (unrounded) squared and summed, 0..10,000."""
    total = sum(values_by_provider.values(), Decimal(0))
    if total <= 0:
        return {"total": _round(0, CENT), "providers": 0, "hhi": None, "concentrated": False, "shares": []}
    shares = sorted(
        ((pid, Decimal(100) * value / total) for pid, value in values_by_provider.items() if value > 0),
        key=lambda item: (-item[1], item[0]),
    )
    hhi = sum((share * share for _pid, share in shares), Decimal(0))
    return {
        "total": _round(total, CENT),
        "providers": len(shares),
        "hhi": _round(hhi, ONE),
        "concentrated": hhi > CONCENTRATED_HHI,
        "shares": [(pid, _round(share, TENTH)) for pid, share in shares],
    }


# --- The window ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime.datetime
    end: datetime.datetime
    months: tuple[str, ...]  # "YYYY-MM", oldest first


def window(*, now: datetime.datetime | None = None, months: int = MONTHS) -> Window:
    """The current month and the ``months - 1`` before it, in the platform's time zone."""
    local = timezone.localtime(now or timezone.now())
    year, month = local.year, local.month
    keys = []
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    first_year, first_month = (int(part) for part in keys[0].split("-"))
    start = datetime.datetime(first_year, first_month, 1, tzinfo=timezone.get_current_timezone())
    return Window(start=start, end=local, months=tuple(keys))


def _month_key(value) -> str:
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}"


def _region_key(code: str | None) -> str:
    return f"{code[:2]}0000" if code else ""


# --- Queries (one each) --------------------------------------------------------------------------


def _in_window(field: str, win: Window) -> Q:
    return Q(**{f"{field}__gte": win.start, f"{field}__lte": win.end})


def _order_dimensions(prefix: str = "") -> dict:
    """Month-independent grouping columns of a service order (top-level item, project province)."""
    return {
        "cat": Substr(f"{prefix}category__path", 1, PATH_STEP),
        "reg": Substr(Coalesce(f"{prefix}request__region", f"{prefix}enterprise__region"), 1, 2),
    }


def _completed_rows(win: Window) -> list[dict]:
    """Completed orders grouped by month, item, province and provider: count and value."""
    return list(
        ServiceOrder.objects.filter(_in_window("accepted_at", win), order__status=Status.COMPLETED)
        .annotate(month=TruncMonth("accepted_at"), **_order_dimensions())
        .values("month", "cat", "reg", "provider_id")
        .annotate(n=Count("pk"), value=Sum("price"))
        .order_by()
    )


def _completed_prices(win: Window) -> list[tuple[str, str, Decimal]]:
    return list(
        ServiceOrder.objects.filter(_in_window("accepted_at", win), order__status=Status.COMPLETED)
        .annotate(**_order_dimensions())
        .values_list("cat", "reg", "price")
        .order_by()
    )


def _delivery_rows(win: Window) -> list[dict]:
    """Orders delivered in the window with a deadline, whatever happened after the delivery:
    count and on-time count. Provider pages and the credit record count completed orders only
    (``timed_deliveries``); the public figure counts a delivery when it is made."""
    return list(
        ServiceOrder.objects.filter(_in_window("delivered_at", win), due_at__isnull=False)
        .annotate(month=TruncMonth("delivered_at"), **_order_dimensions())
        .values("month", "cat", "reg", "provider_id")
        .annotate(n=Count("pk"), on_time=Count("pk", filter=DELIVERED_ON_TIME))
        .order_by()
    )


def _rating_rows(win: Window) -> list[dict]:
    return list(
        Rating.objects.filter(_in_window("created_at", win))
        .annotate(month=TruncMonth("created_at"), **_order_dimensions("service_order__"))
        .values("month", "cat", "reg", "provider_id")
        .annotate(
            n=Count("pk"),
            satisfied=Count("pk", filter=Q(overall__gte=4)),
            **{f"sum_{name}": Sum(name) for name in DIMENSIONS},
        )
        .order_by()
    )


def _request_rows(win: Window) -> list[dict]:
    return list(
        RequestForQuotes.objects.filter(_in_window("published_at", win))
        .annotate(
            month=TruncMonth("published_at"), cat=Substr("category__path", 1, PATH_STEP), reg=Substr("region", 1, 2)
        )
        .values("month", "cat", "reg")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _award_durations(win: Window) -> list[tuple]:
    return list(
        RequestForQuotes.objects.filter(_in_window("awarded_at", win), status=RequestForQuotes.Status.AWARDED)
        .annotate(cat=Substr("category__path", 1, PATH_STEP), reg=Substr("region", 1, 2))
        .values_list("cat", "reg", "published_at", "awarded_at")
        .order_by()
    )


# --- Roll-ups ------------------------------------------------------------------------------------


class _Bucket:
    """Everything one row of a table needs, accumulated from the grouped query rows."""

    def __init__(self):
        self.requests = 0
        self.orders = 0
        self.value = Decimal(0)
        self.award_days: list[Decimal] = []
        self.delivered = 0
        self.on_time = 0
        self.ratings = 0
        self.satisfied = 0
        self.dimension_sums = dict.fromkeys(DIMENSIONS, 0)
        self.prices: list[Decimal] = []
        self.value_by_provider: dict[int, Decimal] = defaultdict(Decimal)

    def activity(self) -> dict:
        return {
            "requests": self.requests,
            "orders": self.orders,
            "value": _round(self.value, CENT),
            "median_award_days": _round(statistics.median(self.award_days), TENTH) if self.award_days else None,
            "delivered": self.delivered,
            "on_time_rate": _percent(self.on_time, self.delivered),
            "ratings": self.ratings,
            "satisfaction_rate": _percent(self.satisfied, self.ratings),
            **{
                f"mean_{name}": _round(Decimal(self.dimension_sums[name]) / self.ratings, CENT)
                if self.ratings
                else None
                for name in DIMENSIONS
            },
        }

    def price_row(self) -> dict:
        found = quartiles(self.prices)
        q1, median, q3 = found if found else (None, None, None)
        return {
            "orders": len(self.prices),
            "q1": _round(q1, CENT),
            "median": _round(median, CENT),
            "q3": _round(q3, CENT),
        }


def _key_functions(top_paths: dict[str, int]):
    """Functions giving a query row's month, service-item id and province keys."""
    return {
        "month": lambda row: _month_key(row["month"]),
        "category": lambda row: top_paths.get(row["cat"]),
        "region": lambda row: _region_key(row["reg"]),
    }


def compute(*, now: datetime.datetime | None = None) -> dict:
    """The whole statistics snapshot as JSON-safe data (names in both languages, ids as keys).

    Nine queries, whatever the number of orders, requests and ratings.
    """
    win = window(now=now)
    top_items = list(Category.objects.filter(depth=1).order_by("path").values("pk", "path", "code", "name", "name_zh"))
    top_paths = {item["path"]: item["pk"] for item in top_items}
    keys = _key_functions(top_paths)
    buckets = {dimension: defaultdict(_Bucket) for dimension in keys}
    # (dimension, key) -> provider id -> bucket, for the staff drill-down.
    provider_buckets: dict = {
        dimension: defaultdict(lambda: defaultdict(_Bucket)) for dimension in ("category", "region")
    }

    def each(row):
        for dimension, key_of in keys.items():
            key = key_of(row)
            if key is not None and key != "":
                yield dimension, key

    for row in _request_rows(win):
        for dimension, key in each(row):
            buckets[dimension][key].requests += row["n"]
    for cat, reg, published, awarded in _award_durations(win):
        days = Decimal((awarded - published).total_seconds()) / Decimal(86400)
        row = {"month": awarded, "cat": cat, "reg": reg}
        for dimension, key in each(row):
            buckets[dimension][key].award_days.append(days)
    for row in _completed_rows(win):
        for dimension, key in each(row):
            for bucket in _targets(buckets, provider_buckets, dimension, key, row["provider_id"]):
                bucket.orders += row["n"]
                bucket.value += row["value"]
            buckets[dimension][key].value_by_provider[row["provider_id"]] += row["value"]
    for cat, reg, price in _completed_prices(win):
        for dimension, key in each({"month": None, "cat": cat, "reg": reg}):
            buckets[dimension][key].prices.append(Decimal(price))
    for row in _delivery_rows(win):
        for dimension, key in each(row):
            for bucket in _targets(buckets, provider_buckets, dimension, key, row["provider_id"]):
                bucket.delivered += row["n"]
                bucket.on_time += row["on_time"]
    for row in _rating_rows(win):
        for dimension, key in each(row):
            for bucket in _targets(buckets, provider_buckets, dimension, key, row["provider_id"]):
                bucket.ratings += row["n"]
                bucket.satisfied += row["satisfied"]
                for name in DIMENSIONS:
                    bucket.dimension_sums[name] += row[f"sum_{name}"] or 0

    provider_ids = {pid for bucket in buckets["category"].values() for pid in bucket.value_by_provider}
    provider_ids |= {pid for per in provider_buckets.values() for group in per.values() for pid in group}
    providers = {
        pk: {"name": name, "name_zh": name_zh}
        for pk, name, name_zh in Provider.objects.filter(pk__in=provider_ids).values_list("pk", "name", "name_zh")
    }
    regions = sorted(key for key in set(buckets["region"]) if key)
    return {
        "computed_at": timezone.now().isoformat(),
        "window": {"start": win.start.isoformat(), "end": win.end.isoformat(), "months": list(win.months)},
        "providers": {str(pk): names for pk, names in providers.items()},
        "categories": [
            {"id": item["pk"], "code": item["code"], "name": item["name"], "name_zh": item["name_zh"]}
            for item in top_items
        ],
        "regions": regions,
        "monthly": [{"month": month, **buckets["month"][month].activity()} for month in win.months],
        "by_category": [{"category": item["pk"], **buckets["category"][item["pk"]].activity()} for item in top_items],
        "by_region": [{"region": code, **buckets["region"][code].activity()} for code in regions],
        "prices": [{"category": item["pk"], **buckets["category"][item["pk"]].price_row()} for item in top_items],
        "concentration_category": [
            {"category": item["pk"], **concentration(buckets["category"][item["pk"]].value_by_provider)}
            for item in top_items
        ],
        "concentration_region": [
            {"region": code, **concentration(buckets["region"][code].value_by_provider)} for code in regions
        ],
        "drilldown": {
            dimension: {str(key): _drilldown(group, buckets[dimension][key].value) for key, group in per.items()}
            for dimension, per in provider_buckets.items()
        },
    }


def _targets(buckets, provider_buckets, dimension, key, provider_id):
    yield buckets[dimension][key]
    if dimension in provider_buckets:
        yield provider_buckets[dimension][key][provider_id]


def _drilldown(group: dict, total: Decimal) -> list[dict]:
    """One row per provider active in a service item or region, largest value first."""
    rows = []
    for provider_id, bucket in group.items():
        activity = bucket.activity()
        rows.append(
            {
                "provider": provider_id,
                "orders": activity["orders"],
                "value": activity["value"],
                "share": _percent(bucket.value, total) if total else None,
                "delivered": activity["delivered"],
                "on_time_rate": activity["on_time_rate"],
                "ratings": activity["ratings"],
                "satisfaction_rate": activity["satisfaction_rate"],
            }
        )
    rows.sort(key=lambda row: (-Decimal(row["value"]), row["provider"]))
    return rows


# --- The service guide: typical price and delivery time of one service item ----------------------

GUIDE_MIN_ORDERS = 3
GUIDE_LOOKBACK = datetime.timedelta(days=730)


@dataclass(frozen=True)
class TypicalService:
    """Computed from completed orders of a service item (and its sub-items) in the last two years."""

    orders: int
    price_q1: Decimal | None = None
    price_median: Decimal | None = None
    price_q3: Decimal | None = None
    timed_orders: int = 0  # completed orders with both a payment and a delivery time
    median_days: int | None = None  # from payment to delivery
    minimum: int = GUIDE_MIN_ORDERS

    @property
    def enough_prices(self) -> bool:
        return self.orders >= self.minimum

    @property
    def enough_times(self) -> bool:
        return self.timed_orders >= self.minimum


def service_item_typical(*, category, now: datetime.datetime | None = None) -> TypicalService:
    """Interquartile price range and median delivery days of a service item; one query."""
    since = (now or timezone.now()) - GUIDE_LOOKBACK
    rows = list(
        ServiceOrder.objects.filter(
            order__status=Status.COMPLETED, accepted_at__gte=since, category__path__startswith=category.path
        )
        .values_list("price", "paid_at", "delivered_at")
        .order_by()
    )
    found = quartiles(price for price, _paid, _delivered in rows)
    days = [
        Decimal((delivered - paid).total_seconds()) / Decimal(86400)
        for _price, paid, delivered in rows
        if paid and delivered and delivered >= paid
    ]
    q1, median, q3 = (Decimal(_round(value, CENT)) for value in found) if found else (None, None, None)
    return TypicalService(
        orders=len(rows),
        price_q1=q1,
        price_median=median,
        price_q3=q3,
        timed_orders=len(days),
        median_days=int(Decimal(statistics.median(days)).quantize(ONE, ROUND_HALF_UP)) if days else None,
    )


def providers_offering(listing_infos) -> list:
    """The distinct providers of already-loaded purchasable listings, by name (no query)."""
    seen = {}
    for info in listing_infos:
        if info.provider is not None:
            seen.setdefault(info.provider.pk, info.provider)
    return sorted(seen.values(), key=lambda provider: provider.localized("name"))
