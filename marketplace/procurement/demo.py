"""Demo requests for quotes for ``load_demo``: every selection method open and closed, one in
its publicity period, one failed, and a year of awarded requests whose orders completed. Through
the real services with past clocks, so the statistics have something true to show. Idempotent.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from oscar.apps.order.models import Line, Order

from marketplace.accounts.models import User
from marketplace.catalogue.models import ProductAttributeValue
from marketplace.core import notify
from marketplace.core.demo import ensure_user
from marketplace.enterprises.demo import demo_buyers
from marketplace.hiring.models import ServiceOrder, Status
from marketplace.payments.models import PaymentRecord
from providers.models import Provider, ProviderMember, Qualification

from . import methods
from . import services as procurement
from .models import RequestForQuotes


def _eligible_markets():
    """(category, region, [providers]) per service item with certified, qualified providers, best first.

    Demo firms serve their own city and province; so that several can quote on one request, the
    firms of a service item also take on the first firm's city (their listings say so).
    """
    by_category = {}
    for qualification in (
        Qualification.objects.in_force()
        .filter(provider__status=Provider.Status.CERTIFIED)
        .select_related("provider", "category")
        .order_by("provider_id")
    ):
        by_category.setdefault(qualification.category_id, (qualification.category, {}))[1][
            qualification.provider_id
        ] = qualification.provider
    markets = []
    for category, providers in sorted(by_category.values(), key=lambda m: (-len(m[1]), m[0].pk)):
        providers = list(providers.values())
        region = providers[0].region
        for provider in providers[1:]:
            values = ProductAttributeValue.objects.filter(
                attribute__code="regions_served",
                product__categories=category,
                product__stockrecords__partner=provider.partner_id,
            )
            for value in values:
                if region not in value.value_text.split():
                    value.value_text = f"{value.value_text} {region}".strip()
                    value.save(update_fields=["value_text"])
        markets.append((category, region, providers))
    return markets


def _request(enterprise, user, category, region, method, *, published, hours, title):
    return procurement.request_publish(
        enterprise=enterprise,
        user=user,
        category=category,
        title=title,
        description=f"{title}: please include the expert review and the filing with the authority.",
        region=region,
        budget=Decimal("150000"),
        deadline=published + datetime.timedelta(hours=hours),
        method=method,
        now=published,
    )


def _quote_all(request, providers, published, rng):
    quoted = 0
    for index, provider in enumerate(providers[:4]):
        if procurement.provider_ineligibility(provider=provider, request=request):
            continue
        owner = provider.memberships.select_related("user").first()
        user = owner.user if owner else _provider_user(provider)
        procurement.quote_submit(
            request=request,
            user=user,
            price=Decimal(60000 + rng.randrange(0, 60) * 1000),
            service_days=20 + rng.randrange(0, 40),
            note="Includes two rounds of revisions.",
            now=published + datetime.timedelta(minutes=20 * (1 + index)),  # within the hour: never ahead of now
        )
        quoted += 1
    return quoted


def _provider_user(provider) -> User:
    """Demo providers other than the demo login have no team; give each a quiet demo user."""
    user = ensure_user(f"team-{provider.credit_code.lower()}@demo.onewindow.local", "Demo", "Provider")
    ProviderMember.objects.get_or_create(provider=provider, user=user, defaults={"role": ProviderMember.Role.OWNER})
    return user


def _requests(buyers, rng) -> int:
    markets = _eligible_markets()
    if not markets:
        return 0
    now = timezone.now()
    created = 0
    methods_shown = ("lowest_price", "scored", "random_draw", "direct", "credit_shortlist", "reasonable_price")
    for index, method in enumerate(methods_shown):
        category, region, providers = markets[index % min(2, len(markets))]
        enterprise, user = buyers[index % len(buyers)]
        label = category.name
        # Open, deadline ahead: quotes are sealed.
        open_request = _request(
            enterprise,
            user,
            category,
            region,
            method,
            published=now - datetime.timedelta(hours=2),
            hours=24 * 5,
            title=f"{label} for a new plant ({method.replace('_', ' ')})",
        )
        _quote_all(open_request, providers, now - datetime.timedelta(hours=2), rng)
        # Closed ten days ago: the selection ran, publicity is over or running.
        published = now - datetime.timedelta(days=12)
        closed = _request(
            enterprise,
            user,
            category,
            region,
            method,
            published=published,
            hours=48,
            title=f"{label} for a warehouse extension ({method.replace('_', ' ')})",
        )
        _quote_all(closed, providers, published, rng)
        procurement.request_close(request=closed, now=closed.deadline + datetime.timedelta(minutes=5))
        closed.refresh_from_db()
        if closed.status == RequestForQuotes.Status.CHOOSING:
            current = closed.selections.get(superseded=False)
            allowed = [c.quote_id for c in methods.choosable(current, procurement.candidates(closed))]
            quote = closed.quotes.filter(pk__in=allowed).order_by("price").first()
            procurement.request_choose(
                request=closed, user=user, quote_id=quote.pk, now=closed.deadline + datetime.timedelta(days=1)
            )
        procurement.request_award(request=closed, now=now)
        created += 2
    # Closed yesterday: the result is in its publicity period, open to objections.
    category, region, providers = markets[0]
    enterprise, user = buyers[1 % len(buyers)]
    published = now - datetime.timedelta(days=3)
    publicity = _request(
        enterprise,
        user,
        category,
        region,
        "scored",
        published=published,
        hours=48,
        title=f"{category.name} for a logistics hub (scored)",
    )
    _quote_all(publicity, providers, published, rng)
    procurement.request_close(request=publicity, now=publicity.deadline + datetime.timedelta(minutes=5))
    created += 1
    # One request that failed (nobody quoted), so the re-publish button shows.
    category, region, _providers = markets[-1]
    enterprise, user = buyers[0]
    failed = _request(
        enterprise,
        user,
        category,
        region,
        "lowest_price",
        published=now - datetime.timedelta(days=6),
        hours=24,
        title=f"{category.name} for a pilot line",
    )
    procurement.request_close(request=failed, now=failed.deadline + datetime.timedelta(minutes=1))
    return created + 1


REQUEST_HISTORY_MONTHS = range(3, 13)


def _request_history(buyers, rng) -> int:
    """One request a month over the past year, quoted, awarded and its order completed.

    Through the real services with past clocks, so the statistics page has requests per month,
    times from request to award, and request-sourced orders in the buyers' provinces.
    """
    markets = _eligible_markets()
    others = buyers[1:] or buyers  # keep the demo buyer's own order list to its story orders
    if not markets:
        return 0
    now = timezone.now()
    created = 0
    for month in REQUEST_HISTORY_MONTHS:
        category, region, providers = markets[month % len(markets)]
        enterprise, user = others[month % len(others)]
        published = now - datetime.timedelta(days=30 * month + rng.randrange(0, 10))
        request = _request(
            enterprise,
            user,
            category,
            region,
            "lowest_price",
            published=published,
            hours=24 * rng.choice((3, 5, 7)),
            title=f"{category.name} for project phase {month}",
        )
        _quote_all(request, providers, published, rng)
        procurement.request_close(request=request, now=request.deadline + datetime.timedelta(minutes=5))
        request.refresh_from_db()
        created += 1
        if request.status != RequestForQuotes.Status.PUBLICITY:
            continue
        awarded_at = request.publicity_ends_at + datetime.timedelta(hours=1)
        service_order = procurement.request_award(request=request, now=awarded_at)
        if service_order is None:
            continue
        paid_at = awarded_at + datetime.timedelta(days=2)
        due_at = paid_at + datetime.timedelta(days=service_order.service_days)
        delivered_at = due_at + datetime.timedelta(days=max(rng.choice((-6, -2, 0, 4)), 1 - service_order.service_days))
        accepted_at = delivered_at + datetime.timedelta(days=2)
        if accepted_at >= now:
            continue
        ServiceOrder.objects.filter(pk=service_order.pk).update(
            created_at=awarded_at, paid_at=paid_at, due_at=due_at, delivered_at=delivered_at, accepted_at=accepted_at
        )
        Order.objects.filter(pk=service_order.order_id).update(status=Status.COMPLETED, date_placed=awarded_at)
        Line.objects.filter(order_id=service_order.order_id).update(status=Status.COMPLETED)
        PaymentRecord.objects.create(
            service_order=service_order,
            kind="charge",
            amount=service_order.price,
            reference=f"demo-{service_order.order.number}",
        )
    return created


@transaction.atomic
def load_demo() -> str:
    buyers = demo_buyers()
    if not buyers or RequestForQuotes.objects.filter(enterprise=buyers[-1][0]).exists():
        return "requests 0 created"
    rng = random.Random(20260102)  # noqa: S311 - deterministic demo data, not security
    with notify.muted():
        created = _requests(buyers, rng) + _request_history(buyers, rng)
    return f"requests {created} created"
