"""Demo orders for ``load_demo``: the demo buyer's orders with the demo provider in every status
(through the real services), about 200 completed orders of other buyers that the ratings and
credit demos build on (placed through the order creator, then dated into the past), and the
demo contracts at every stage of sealing. Idempotent; no email goes out for demo data.
"""

import datetime
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from oscar.apps.order.models import Line, Order

from marketplace.accounts.models import User
from marketplace.core import notify
from marketplace.core.selectors import acting_organisations
from marketplace.enterprises.demo import DEMO_BUYER_EMAIL, demo_buyers
from marketplace.enterprises.models import Enterprise, InvoiceTitle
from marketplace.payments import invoices
from marketplace.payments.models import InvoiceRequest, PaymentRecord
from providers.demo import DEMO_PROVIDER_USER
from providers.listings import listing_info
from providers.models import Provider
from providers.selectors import provider_public_listings, purchasable_listings, with_listing_data
from signing import demo as signing_demo
from signing.pki import Pki

from . import contracts, milestones, payment_flow, services, tasks
from .models import Contract, ContractSeal, ServiceOrder, Status
from .placement import ServiceOrderCreator

HISTORY_ORDERS = 200
HISTORY_PREFIX = "OWDEMO"
MIN_ORDER_PRICE = Decimal("1000")


def placed(buyer, listing, project: str, *, site: str, plan: str = "") -> ServiceOrder:
    """An order for ``listing`` placed through the real service, at the listing's price and days, and
    its contract issued now, as a live order gets it right after its commit: before any payment or
    dispute (the demo runs in one transaction, so the after-commit issue would date it after them all)."""
    info = listing_info(listing)
    enterprise, buyer_user = buyer
    so = services.service_order_create(
        enterprise=enterprise,
        provider=info.provider,
        buyer=buyer_user,
        title=listing.title,
        price=info.price or Decimal("30000"),
        service_days=info.service_days or 30,
        project_name=project,
        site_location=site,
        source=ServiceOrder.Source.DIRECT,
        category=info.category,
        product=listing,
        stockrecord=listing.stockrecords.first(),
        milestone_plan=plan or info.milestones,
    )
    tasks.contract_issue(so.pk)
    return so


def _story_orders(buyer, provider, listing) -> int:
    """The demo buyer's orders with the demo provider, one in every status."""
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    provider_user = provider.memberships.select_related("user").first().user
    buyer_enterprise, buyer_user = buyer

    def new(project):
        return placed(buyer, listing, project, site="Yizhuang, Beijing")

    def paid(project):
        so = new(project)
        payment_flow.service_order_pay(service_order=so, amount=so.price, reference=f"demo-{so.order.number}")
        return so

    def delivered(project):
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
    _invoices(buyer_enterprise, buyer_user, provider_user, answered=done, waiting=paid("Boiler room annex"))
    _staged(buyer, listing, buyer_user, provider_user)
    services.service_order_cancel(service_order=new("Parking deck"), user=buyer_user, reason="Project postponed.")
    refunded = paid("Loading bay")
    dispute = services.dispute_open(service_order=refunded, user=buyer_user, reason="Work never started.")
    services.dispute_resolve(dispute=dispute, user=staff, outcome="refund", decision="No work was done: full refund.")
    services.dispute_open(service_order=delivered("Canteen"), user=buyer_user, reason="Report copies another site.")
    return 11


def _staged(buyer, listing, buyer_user, provider_user) -> ServiceOrder:
    """An order paid in three stages: the first accepted and released, the second funded and delivered."""
    plan = "Draft report; 30%; 20\nExpert review; 30%; 35\nFinal report; 40%; 50"
    so = placed(buyer, listing, "Tailings pond, three stages", site="Miyun, Beijing", plan=plan)
    for step in range(2):
        due, _stage = milestones.amount_due(so)
        payment_flow.service_order_pay(service_order=so, amount=due, reference=f"demo-{so.order.number}-{step + 1}")
        services.deliverable_upload(
            service_order=so,
            user=provider_user,
            file=ContentFile(b"%PDF-1.4\n% OneWindow demo stage report\n%%EOF\n", name=f"stage-{step + 1}.pdf"),
        )
        services.service_order_deliver(service_order=so, user=provider_user)
        if step == 0:
            services.service_order_accept(service_order=so, user=buyer_user)
    return so


def _invoices(enterprise, buyer_user, provider_user, *, answered: ServiceOrder, waiting: ServiceOrder) -> None:
    """The buyer's invoice title, an invoice issued by number and one request the provider has let go overdue."""
    title = InvoiceTitle.objects.create(
        enterprise=enterprise,
        name=enterprise.name,
        tax_number=enterprise.credit_code,
        address="1 Kechuang Street, Beijing Economic-Technological Development Area",
        phone="010-6789 0000",
        bank_name="Industrial and Commercial Bank of China, Yizhuang Branch",
        bank_account="0200 0000 0000 0000 000",
    )
    buyer, provider = acting_organisations(buyer_user), acting_organisations(provider_user)
    for order in (answered, waiting):
        charge = order.payments.get(kind=PaymentRecord.Kind.CHARGE)
        request = invoices.invoice_request(
            actor=buyer_user, organisations=buyer, payment_id=charge.pk, title=title, kind="special"
        )
    invoices.invoice_issue(
        actor=provider_user,
        organisations=provider,
        request_id=answered.invoice_requests.get().pk,
        number="24110000000000001234",
    )
    InvoiceRequest.objects.filter(pk=request.pk).update(due_at=timezone.now() - datetime.timedelta(days=2))


def sealed_accepted_order(*, buyer, listing, project: str) -> ServiceOrder:
    """One order through the real services, start to finish: placed for ``listing``, paid, its report
    delivered under a delivery note sealed with the provider's seal (made first if it has none),
    accepted. For demos that need work an authority can rely on (an approval case)."""
    info = listing_info(listing)
    provider = info.provider
    enterprise, buyer_user = buyer
    signing_demo.organisation_seals_ensure(providers=Provider.objects.filter(pk=provider.pk), pki=Pki.default())
    provider_user = provider.memberships.filter(role="owner").select_related("user").first().user
    so = placed(buyer, listing, project, site=f"{project}, Daxing, Beijing")
    payment_flow.service_order_pay(service_order=so, amount=so.price, reference=f"demo-{so.order.number}")
    report = f"%PDF-1.4\n% {listing.title}: report for {project}\n%%EOF\n".encode()
    services.deliverable_upload(service_order=so, user=provider_user, file=ContentFile(report, name="report.pdf"))
    services.service_order_deliver(service_order=so, user=provider_user)
    return services.service_order_accept(service_order=so, user=buyer_user)


def history_orders():
    """The completed history orders, oldest first (the ratings and credit demos rate them)."""
    return ServiceOrder.objects.filter(order__number__startswith=HISTORY_PREFIX).order_by("order__number")


def _order_history(buyers, rng) -> int:
    """About 200 completed orders spread over the certified providers' listings, dated over a year."""
    listings = list(with_listing_data(purchasable_listings().order_by("pk"))[:60])
    # Per-project prices only: a per-m² or per-day unit price is not what a whole order cost.
    listings = [p for p in listings if listing_info(p).provider and (listing_info(p).price or 0) >= MIN_ORDER_PRICE]
    if not listings:
        return 0
    creator = ServiceOrderCreator()
    now = timezone.now()
    placed = []
    for n in range(HISTORY_ORDERS):
        product = listings[(n * 7) % len(listings)]
        info = listing_info(product)
        enterprise, user = buyers[n % len(buyers)]
        # Scheduled back from the acceptance, two days apart, the newest a fortnight ago: everything that
        # follows an acceptance in the demo (ratings, evaluations days later) is in the past too.
        accepted_at = now - datetime.timedelta(days=14 + (HISTORY_ORDERS - 1 - n) * 2)
        service_days = info.service_days or 30
        # Days late (negative: early), never so early that the delivery would precede the payment.
        late_by = max(rng.choice((-5, -2, -1, 0, 3)), 1 - service_days)
        delivered_at = accepted_at - datetime.timedelta(days=2)
        due_at = delivered_at - datetime.timedelta(days=late_by)
        paid_at = due_at - datetime.timedelta(days=service_days)
        stockrecord = product.stockrecords.all()[0]
        order = creator.place_service_order(
            number=f"{HISTORY_PREFIX}{n:05d}",
            buyer=user,
            price=info.price,
            title=product.title,
            partner=info.provider.partner,
            partner_name=info.provider.name,
            partner_sku=stockrecord.partner_sku,
            product=product,
            stockrecord=stockrecord,
        )
        placed.append(
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
                service_days=service_days,
                created_at=paid_at,
                paid_at=paid_at,
                due_at=due_at,
                delivered_at=delivered_at,
                accepted_at=accepted_at,
            )
        )
    # History, not news: the orders are completed, placed when they were paid, and paid.
    service_orders = ServiceOrder.objects.bulk_create(placed)
    order_ids = [so.order_id for so in service_orders]
    orders = []
    for so in service_orders:
        so.order.status, so.order.date_placed = Status.COMPLETED, so.paid_at
        orders.append(so.order)
    Order.objects.bulk_update(orders, ["status", "date_placed"])
    Line.objects.filter(order_id__in=order_ids).update(status=Status.COMPLETED)
    PaymentRecord.objects.bulk_create(
        [
            PaymentRecord(service_order=so, kind="charge", amount=so.price, reference=f"demo-{so.order.number}")
            for so in service_orders
        ]
    )
    return len(service_orders)


@transaction.atomic
def load_demo() -> str:
    """The story orders and the history, each once (a second run finds them and adds nothing)."""
    rng = random.Random(20260101)  # noqa: S311 - deterministic demo data, not security
    buyers = demo_buyers()
    story = history = 0
    with notify.muted():
        demo_provider = Provider.objects.filter(memberships__user__email=DEMO_PROVIDER_USER).first()
        already = ServiceOrder.objects.filter(buyer__email=DEMO_BUYER_EMAIL, provider=demo_provider).exists()
        if buyers and demo_provider is not None and not already:
            listing = next((p for p in provider_public_listings(provider=demo_provider) if listing_info(p).price), None)
            if listing is not None:
                story = _story_orders(buyers[0], demo_provider, listing)
        if buyers and not history_orders().exists():
            history = _order_history(buyers, rng)
    return f"orders {story + history} created"


def load_demo_after_commit() -> str:
    # The orders' contracts were issued after the commit; seal some, at every stage.
    result = contracts_load()
    return f"contracts {result['contracts']} issued late, {result['sealings']} contract seals applied"


def contracts_load(*, pki: Pki | None = None) -> dict:
    """The demo buyer's contracts with the demo provider at every stage: awaiting the buyer,
    sealed by the buyer only, sealed by both. Run after the hiring demo; idempotent. (Every other
    order got its contract after commit, when the orders were made.)"""
    pki = pki or Pki.default()
    orders = (
        ServiceOrder.objects.filter(
            enterprise__memberships__user__email=DEMO_BUYER_EMAIL,
            provider__memberships__user__email=DEMO_PROVIDER_USER,
        )
        .exclude(order__status__in=contracts.CLOSED_ORDER_STATUSES)
        .select_related("order")
        .order_by("created_at", "pk")
    )
    buyer = User.objects.filter(email=DEMO_BUYER_EMAIL).first()
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
