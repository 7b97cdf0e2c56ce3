"""Demo hiring data for ``load_demo``: enterprises, requests under every method, orders in every
status and about 200 ratings. Idempotent (keyed by the demo enterprises' credit codes) and quick:
the story orders and requests go through the real services; the rated history is bulk-created.
No email goes out for demo data.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.sites.models import Site
from django.db import transaction
from django.utils import timezone
from oscar.apps.order.models import Line, Order

from marketplace.accounts.models import User
from marketplace.core import notify
from marketplace.core.demo import DEMO_ENTERPRISE, DEMO_PASSWORD
from marketplace.enterprises.models import Enterprise, EnterpriseMember
from marketplace.payments.models import PaymentRecord
from marketplace.procurement import services as procurement
from marketplace.procurement.models import RequestForQuotes
from marketplace.ratings.models import Rating
from providers.demo import DEMO_PROVIDER_USER, demo_credit_code
from providers.listings import listing_info
from providers.models import Provider, ProviderMember
from providers.selectors import provider_public_listings, with_listing_data
from signing import demo as signing_demo
from signing.pki import Pki

from . import contracts, payment_flow, services
from .models import Contract, ContractSeal, ServiceOrder, Status

ENTERPRISES = (
    # n, name, Chinese name, region
    (1, "Huabei Steel Structures Co., Ltd.", "华北钢结构有限公司", "110000"),
    (2, "Pudong Biopharma Co., Ltd.", "浦东生物医药有限公司", "310000"),
    (3, "Lingnan Logistics Park Co., Ltd.", "岭南物流园有限公司", "440100"),
    (4, "Qiantang Smart Manufacturing Co., Ltd.", "钱塘智能制造有限公司", "330100"),
    (5, "Tianfu Food Processing Co., Ltd.", "天府食品加工有限公司", "510100"),
)
RATED_ORDERS = 200
MIN_ORDER_PRICE = Decimal("1000")
COMMENTS = (
    ("Thorough report, accepted by the bureau on first submission.", "报告扎实，一次通过主管部门审查。"),
    ("Responsive team; a few days late but kept us informed.", "团队响应及时，虽晚了几天但一直保持沟通。"),
    ("Good value for the price.", "性价比高。"),
    ("Needed two revisions before it was right.", "修改了两次才达到要求。"),
    ("", ""),
)


def _code(n: int, region: str) -> str:
    return demo_credit_code(900 + n, region)


def _user(email: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"first_name": "Demo", "last_name": "Buyer"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _enterprises() -> list[tuple[Enterprise, User]]:
    result = []
    demo = Enterprise.objects.filter(credit_code=DEMO_ENTERPRISE["credit_code"]).first()
    if demo is not None:
        owner = demo.memberships.select_related("user").order_by("pk").first()
        result.append((demo, owner.user))
    for n, name, name_zh, region in ENTERPRISES:
        enterprise, _ = Enterprise.objects.get_or_create(
            credit_code=_code(n, region),
            defaults={"name": name, "name_zh": name_zh, "region": region, "contact_name": "Demo"},
        )
        user = _user(f"buyer{n}@demo.onewindow.local")
        EnterpriseMember.objects.get_or_create(
            enterprise=enterprise, user=user, defaults={"role": EnterpriseMember.Role.OWNER}
        )
        result.append((enterprise, user))
    return result


def _eligible_markets():
    """(category, region, [providers]) per service item with certified, qualified providers, best first.

    Demo firms serve their own city and province; so that several can quote on one request, the
    firms of a service item also take on the first firm's city (their listings say so).
    """
    from marketplace.catalogue.models import ProductAttributeValue
    from providers.models import Qualification

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
            now=published + datetime.timedelta(hours=1 + index),
        )
        quoted += 1
    return quoted


def _provider_user(provider) -> User:
    """Demo providers other than the demo login have no team; give each a quiet demo user."""
    user = _user(f"team-{provider.credit_code.lower()}@demo.onewindow.local")
    ProviderMember.objects.get_or_create(provider=provider, user=user, defaults={"role": ProviderMember.Role.OWNER})
    return user


def _requests(buyers, rng) -> int:
    markets = _eligible_markets()
    if not markets:
        return 0
    now = timezone.now()
    created = 0
    methods = ("lowest_price", "scored", "random_draw", "direct")
    for index, method in enumerate(methods):
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
            quote = closed.quotes.order_by("price").first()
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
        delivered_at = due_at + datetime.timedelta(days=rng.choice((-6, -2, 0, 4)))
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


def _story_orders(buyer, provider, listing) -> int:
    """The demo buyer's orders with the demo provider, one in every status."""
    info = listing_info(listing)
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    provider_user = provider.memberships.select_related("user").first().user
    buyer_enterprise, buyer_user = buyer

    def new(project):
        return services.service_order_create(
            enterprise=buyer_enterprise,
            provider=provider,
            buyer=buyer_user,
            title=listing.title,
            price=info.price or Decimal("30000"),
            service_days=info.service_days or 30,
            project_name=project,
            site_location="Yizhuang, Beijing",
            source=ServiceOrder.Source.DIRECT,
            category=info.category,
            product=listing,
            stockrecord=listing.stockrecords.first(),
        )

    def paid(project):
        so = new(project)
        payment_flow.service_order_pay(service_order=so, amount=so.price, reference=f"demo-{so.order.number}")
        return so

    def delivered(project):
        from django.core.files.base import ContentFile

        so = paid(project)
        services.deliverable_upload(
            service_order=so,
            user=provider_user,
            file=ContentFile(b"%PDF-1.4\n% OneWindow demo deliverable\n%%EOF\n", name="report.pdf"),
        )
        return services.service_order_deliver(service_order=so, user=provider_user)

    new("Line 3 expansion")  # awaiting_payment
    paid("Boiler house retrofit")  # in_service
    late = paid("Wastewater station")  # in_service, overdue
    ServiceOrder.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(days=3))
    services.extension_request(service_order=late, user=provider_user, days=10, reason="Waiting for monitoring data.")
    delivered("Cold store")  # delivered
    services.service_order_request_revision(
        service_order=delivered("Dormitory block"), user=buyer_user, reason="Noise chapter is missing."
    )
    done = delivered("Office tower")
    services.service_order_accept(service_order=done, user=buyer_user)
    services.service_order_cancel(service_order=new("Parking deck"), user=buyer_user, reason="Project postponed.")
    refunded = paid("Loading bay")
    dispute = services.dispute_open(service_order=refunded, user=buyer_user, reason="Work never started.")
    services.dispute_resolve(dispute=dispute, user=staff, outcome="refund", decision="No work was done: full refund.")
    services.dispute_open(service_order=delivered("Canteen"), user=buyer_user, reason="Report copies another site.")
    return 9


def _rated_history(buyers, rng) -> int:
    """About 200 completed, rated orders spread over the certified providers' listings (bulk)."""
    listings = list(with_listing_data(provider_public_listings_all())[:60])
    # Per-project prices only: a per-m² or per-day unit price is not what a whole order cost.
    listings = [p for p in listings if listing_info(p).provider and (listing_info(p).price or 0) >= MIN_ORDER_PRICE]
    if not listings:
        return 0
    site = Site.objects.get_current()
    now = timezone.now()
    plans = []
    for n in range(RATED_ORDERS):
        product = listings[(n * 7) % len(listings)]
        info = listing_info(product)
        enterprise, user = buyers[n % len(buyers)]
        # Each provider has its own level, so ranking by Bayesian average has something to show.
        level = 3 + (info.provider.pk % 3)
        stars = [max(1, min(5, level + rng.choice((-1, 0, 0, 1)))) for _ in range(4)]
        paid_at = now - datetime.timedelta(days=400 - n * 2)
        due_at = paid_at + datetime.timedelta(days=info.service_days or 30)
        delivered_at = due_at + datetime.timedelta(days=rng.choice((-5, -2, -1, 0, 3)))
        plans.append((n, product, info, enterprise, user, stars, paid_at, due_at, delivered_at))
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"OWDEMO{n:05d}",
                site=site,
                user=user,
                currency="CNY",
                total_incl_tax=info.price,
                total_excl_tax=info.price,
                shipping_incl_tax=0,
                shipping_excl_tax=0,
                status=Status.COMPLETED,
                date_placed=paid_at,
            )
            for n, product, info, enterprise, user, stars, paid_at, due_at, delivered_at in plans
        ]
    )
    Line.objects.bulk_create(
        [
            Line(
                order=order,
                partner=info.provider.partner,
                partner_name=info.provider.name[:128],
                partner_sku=product.stockrecords.all()[0].partner_sku,
                stockrecord=product.stockrecords.all()[0],
                product=product,
                title=product.title,
                quantity=1,
                line_price_incl_tax=info.price,
                line_price_excl_tax=info.price,
                line_price_before_discounts_incl_tax=info.price,
                line_price_before_discounts_excl_tax=info.price,
                unit_price_incl_tax=info.price,
                unit_price_excl_tax=info.price,
                status=Status.COMPLETED,
                num_allocated=0,
            )
            for order, (n, product, info, *_rest) in zip(orders, plans, strict=True)
        ]
    )
    service_orders = ServiceOrder.objects.bulk_create(
        [
            ServiceOrder(
                order=order,
                enterprise=enterprise,
                provider=info.provider,
                buyer=user,
                category=info.category,
                product=product,
                source=ServiceOrder.Source.DIRECT,
                title=product.title,
                project_name=f"Project {n + 1}",
                price=info.price,
                service_days=info.service_days or 30,
                created_at=paid_at,
                paid_at=paid_at,
                due_at=due_at,
                delivered_at=delivered_at,
                accepted_at=delivered_at + datetime.timedelta(days=2),
            )
            for order, (n, product, info, enterprise, user, stars, paid_at, due_at, delivered_at) in zip(
                orders, plans, strict=True
            )
        ]
    )
    PaymentRecord.objects.bulk_create(
        [
            PaymentRecord(service_order=so, kind="charge", amount=so.price, reference=f"demo-{so.order.number}")
            for so in service_orders
        ]
    )
    ratings = []
    for so, (n, product, info, _enterprise, user, stars, *_rest) in zip(service_orders, plans, strict=True):
        comment, comment_zh = COMMENTS[n % len(COMMENTS)]
        ratings.append(
            Rating(
                service_order=so,
                provider=info.provider,
                product=product,
                author=user,
                quality=stars[0],
                timeliness=stars[1],
                communication=stars[2],
                price_fairness=stars[3],
                overall=(Decimal(sum(stars)) / 4).quantize(Decimal("0.01")),
                comment=f"{comment} {comment_zh}".strip(),
                reply="Thank you for the feedback. 感谢您的评价。" if n % 6 == 0 else "",
                replied_at=so.accepted_at + datetime.timedelta(days=1) if n % 6 == 0 else None,
                created_at=so.accepted_at + datetime.timedelta(hours=5),
            )
        )
    Rating.objects.bulk_create(ratings)
    return len(ratings)


def provider_public_listings_all():
    from providers.selectors import purchasable_listings

    return purchasable_listings().order_by("pk")


@transaction.atomic
def load() -> dict:
    """Create the demo hiring data once; a second run finds the marker enterprise and does nothing."""
    marker = _code(ENTERPRISES[0][0], ENTERPRISES[0][3])
    if Enterprise.objects.filter(credit_code=marker, requests__isnull=False).exists():
        return {"requests": 0, "orders": 0, "ratings": 0}
    rng = random.Random(20260101)  # noqa: S311 - deterministic demo data, not security
    with notify.muted():
        buyers = _enterprises()
        if not buyers:
            return {"requests": 0, "orders": 0, "ratings": 0}
        requests = _requests(buyers, rng)
        requests += _request_history(buyers, rng)
        orders = 0
        demo_provider = Provider.objects.filter(memberships__user__email="provider@demo.onewindow.local").first()
        if demo_provider is not None:
            listing = next((p for p in provider_public_listings(provider=demo_provider) if listing_info(p).price), None)
            if listing is not None:
                orders = _story_orders(buyers[0], demo_provider, listing)
        ratings = _rated_history(buyers, rng)
    return {"requests": requests, "orders": orders + ratings, "ratings": ratings}


def contracts_load(*, pki: Pki | None = None) -> dict:
    """The demo buyer's contracts with the demo provider at every stage: awaiting the buyer,
    sealed by the buyer only, sealed by both. Run after the hiring demo; idempotent. (Every other
    order got its contract after commit, when the orders were made.)"""
    pki = pki or Pki.default()
    orders = (
        ServiceOrder.objects.filter(
            enterprise__memberships__user__email=signing_demo.DEMO_BUYER_EMAIL,
            provider__memberships__user__email=DEMO_PROVIDER_USER,
        )
        .exclude(order__status__in=contracts.CLOSED_ORDER_STATUSES)
        .select_related("order")
        .order_by("created_at", "pk")
    )
    buyer = User.objects.filter(email=signing_demo.DEMO_BUYER_EMAIL).first()
    provider_user = User.objects.filter(email=DEMO_PROVIDER_USER).first()
    if buyer is None or provider_user is None or not orders.exists():
        return {"contracts": 0, "sealings": 0}
    signing_demo.organisation_seals_ensure(
        enterprises=Enterprise.objects.filter(pk=orders[0].enterprise_id),
        providers=Provider.objects.filter(pk=orders[0].provider_id),
        pki=pki,
    )
    issued = 0
    issued_contracts = []
    for service_order in orders:
        issued += not Contract.objects.filter(service_order=service_order).exists()
        issued_contracts.append(contracts.contract_issue(service_order=service_order))
    sealed = 0
    if not ContractSeal.objects.filter(actor=buyer).exists():
        for index, contract in enumerate(issued_contracts[1:3]):  # the second: both parties; the third: buyer only
            contracts.contract_seal(contract=contract, actor=buyer)
            sealed += 1
            if index == 0:
                contracts.contract_seal(contract=contract, actor=provider_user)
                sealed += 1
    return {"contracts": issued, "sealings": sealed}
