"""Rating aggregates: per-dimension averages, distribution, count and the Bayesian average.

    bayesian = (RATING_PRIOR_MEAN × RATING_PRIOR_WEIGHT + sum of overall) / (RATING_PRIOR_WEIGHT + count)

so three 5-star ratings (≈4.23 with the defaults) rank below three hundred 4.8s (≈4.77).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce

from marketplace.hiring.models import ServiceOrder, Status
from signing.selectors import authorities_for_user

from . import conf
from .models import DIMENSIONS, Rating

PLACES = Decimal("0.01")


def bayesian_average(*, total: Decimal, count: int, prior_mean=None, prior_weight=None) -> Decimal:
    prior_mean = Decimal(str(conf.get("RATING_PRIOR_MEAN") if prior_mean is None else prior_mean))
    prior_weight = Decimal(conf.get("RATING_PRIOR_WEIGHT") if prior_weight is None else prior_weight)
    if count == 0 and prior_weight == 0:
        return Decimal("0")
    value = (prior_mean * prior_weight + Decimal(total)) / (prior_weight + count)
    return value.quantize(PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class Summary:
    count: int = 0
    average: Decimal | None = None
    bayesian: Decimal | None = None
    dimensions: dict = field(default_factory=dict)
    distribution: list = field(default_factory=list)  # [(stars, count, percent)] 5..1


def _aggregates() -> dict:
    """What a summary is made of, as aggregate expressions over a set of ratings."""
    return {
        "count": Count("pk"),
        "total": Sum("overall"),
        "average": Avg("overall"),
        **{f"avg_{name}": Avg(name) for name in DIMENSIONS},
        **{f"stars_{n}": Count("pk", filter=_stars_q(n)) for n in range(1, 6)},
    }


def _summary_of(aggregates: dict) -> Summary:
    count = aggregates["count"]
    if not count:
        return Summary(bayesian=bayesian_average(total=Decimal("0"), count=0))
    distribution = [
        (n, aggregates[f"stars_{n}"], round(100 * aggregates[f"stars_{n}"] / count)) for n in range(5, 0, -1)
    ]
    return Summary(
        count=count,
        average=Decimal(aggregates["average"]).quantize(PLACES, ROUND_HALF_UP),
        bayesian=bayesian_average(total=aggregates["total"], count=count),
        dimensions={name: Decimal(aggregates[f"avg_{name}"]).quantize(PLACES, ROUND_HALF_UP) for name in DIMENSIONS},
        distribution=distribution,
    )


def summarize(queryset: QuerySet[Rating]) -> Summary:
    """One query, whatever the number of ratings."""
    return _summary_of(queryset.aggregate(**_aggregates()))


def _stars_q(n: int) -> Q:
    """A rating counts under the star its overall rounds to (half up)."""
    low = Decimal(n) - Decimal("0.5")
    high = Decimal(n) + Decimal("0.5")
    if n == 1:
        return Q(overall__lt=high)
    if n == 5:
        return Q(overall__gte=low)
    return Q(overall__gte=low, overall__lt=high)


def order_rating(*, service_order) -> Rating | None:
    """The buyer's rating of one order, if given (the order page shows it to whoever may see the order)."""
    return Rating.objects.filter(service_order=service_order).first()


def provider_summary(*, provider) -> Summary:
    return summarize(Rating.objects.filter(provider=provider))


def listing_summary(*, product) -> Summary:
    return summarize(Rating.objects.filter(product=product))


def provider_overview(*, provider, limit: int = 5) -> tuple[Summary, list[Rating]]:
    """``provider_summary`` and ``recent_ratings`` together, in one query: each of the latest ``limit``
    ratings carries the aggregates over all the provider's ratings (window functions over the whole
    set, which the database computes before it applies the limit)."""
    windows = {f"summary_{name}": Window(expression) for name, expression in _aggregates().items()}
    latest = list(_recent(provider=provider).annotate(**windows)[:limit])
    if not latest:
        return _summary_of({"count": 0}), []
    first = latest[0]
    return _summary_of({name: getattr(first, f"summary_{name}") for name in _aggregates()}), latest


def _recent(*, provider=None, product=None) -> QuerySet[Rating]:
    queryset = Rating.objects.select_related("service_order__enterprise", "provider")
    if provider is not None:
        queryset = queryset.filter(provider=provider)
    if product is not None:
        queryset = queryset.filter(product=product)
    return queryset


def recent_ratings(*, provider=None, product=None, limit: int = 5) -> list[Rating]:
    return list(_recent(provider=provider, product=product)[:limit])


def bayesian_by_provider(*, provider_ids) -> dict[int, Decimal]:
    """Bayesian average per provider id, in one query (providers without ratings get the prior)."""
    rows = (
        Rating.objects.filter(provider_id__in=list(provider_ids))
        .values("provider_id")
        .annotate(total=Sum("overall"), count=Count("pk"))
    )
    found = {row["provider_id"]: bayesian_average(total=row["total"], count=row["count"]) for row in rows}
    prior = bayesian_average(total=Decimal("0"), count=0)
    return {pid: found.get(pid, prior) for pid in provider_ids}


def bayesian_by_product(*, product_ids) -> dict[int, tuple[Decimal, int]]:
    rows = (
        Rating.objects.filter(product_id__in=list(product_ids))
        .values("product_id")
        .annotate(total=Sum("overall"), count=Count("pk"))
    )
    return {row["product_id"]: (bayesian_average(total=row["total"], count=row["count"]), row["count"]) for row in rows}


def dimensions_by_product(*, product_ids) -> dict[int, dict[str, Decimal]]:
    """Each product's average per dimension, in one query (products without ratings are absent)."""
    rows = (
        Rating.objects.filter(product_id__in=list(product_ids))
        .values("product_id")
        .annotate(**{name: Avg(name) for name in DIMENSIONS})
    )
    return {
        row["product_id"]: {name: Decimal(row[name]).quantize(PLACES, ROUND_HALF_UP) for name in DIMENSIONS}
        for row in rows
    }


def attach_product_ratings(products) -> None:
    """Set ``rating_bayesian`` / ``rating_count`` on each product, in one query (listing cards)."""
    products = list(products)
    found = bayesian_by_product(product_ids=[product.pk for product in products]) if products else {}
    for product in products:
        product.rating_bayesian, product.rating_count = found.get(product.pk, (None, 0))


def listings_with_ratings(listings: QuerySet) -> list:
    """The listings (products), each with ``rating_bayesian`` / ``rating_count`` as
    ``attach_product_ratings`` sets them, read in the listings' own query (as subqueries) rather
    than in one more."""
    ratings = Rating.objects.filter(product=OuterRef("pk")).order_by().values("product")
    products = list(
        listings.annotate(
            rating_total=Subquery(ratings.annotate(total=Sum("overall")).values("total")),
            rating_count=Coalesce(Subquery(ratings.annotate(count=Count("pk")).values("count")), 0),
        )
    )
    for product in products:
        if product.rating_count:
            product.rating_bayesian = bayesian_average(total=product.rating_total, count=product.rating_count)
        else:
            product.rating_bayesian = None
    return products


def sort_by_rating(products: list) -> None:
    """Best Bayesian average first (unrated listings count as the prior), then cheaper; in place."""
    prior = bayesian_average(total=Decimal("0"), count=0)
    products.sort(key=lambda p: (-(p.rating_bayesian or prior), -p.rating_count))


# --- Authority and platform evaluations ------------------------------------------------------------


def evaluating_authorities(*, user):
    """The issuing authorities ``user`` may evaluate for: their own, never the platform itself."""
    return authorities_for_user(user=user).filter(is_platform=False).order_by("name")


def order_for_authority_evaluation(*, user, order_number: str):
    """A completed order by its number, for an authority officer about to evaluate it; else None.

    Only officers of an authority reach it, and only completed orders; the view shows just what
    the evaluation needs (number, service, provider, enterprise, completion), never price or files.
    """
    number = (order_number or "").strip()
    if not number or not evaluating_authorities(user=user).exists():
        return None
    return (
        ServiceOrder.objects.select_related("order", "provider", "enterprise", "category")
        .filter(order__number=number, order__status=Status.COMPLETED)
        .first()
    )


def authority_evaluations(*, authorities, limit: int = 30):
    from .models import AuthorityEvaluation

    return list(
        AuthorityEvaluation.objects.filter(authority__in=authorities).select_related(
            "service_order__order", "provider", "authority", "author"
        )[:limit]
    )


def platform_evaluations(*, limit: int = 30):
    from .models import PlatformEvaluation

    return list(PlatformEvaluation.objects.select_related("provider", "service_order__order", "author")[:limit])
