"""Demo approval matters of the demo authority, and cases at every stage: one gathering services, one
whose intermediary is past the service's time limit, one returned for correction, one accepted, one
that ended in a permit citing its delivery notes. Every relied-on order goes through the real
services (paid, delivered under a sealed note, accepted). Idempotent."""

import datetime

from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.catalogue.models import Category
from marketplace.core import notify
from marketplace.enterprises.demo import demo_buyers
from marketplace.hiring import demo as hiring_demo
from marketplace.hiring import payment_flow
from marketplace.hiring.models import ServiceOrder
from providers.demo import DEMO_PROVIDER_USER
from providers.listings import listing_info
from providers.models import Provider
from providers.selectors import purchasable_listings, with_listing_data
from signing import services as signing_services
from signing.demo import DEMO_AUTHORITY, OFFICER_EMAIL
from signing.exceptions import SigningError
from signing.models import IssuingAuthority

from . import selectors, services
from .models import ApprovalMatter, Case

MATTERS = [
    {
        "code": "eia-approval",
        "name": "Approval of a construction project's environmental impact report",
        "name_zh": "建设项目环境影响报告书（表）审批",
        "description": "Before construction starts, the environmental impact report of the project is approved.",
        "description_zh": "建设项目开工前，须经生态环境主管部门审批其环境影响报告书（表）。",
        "time_limit_days": 30,
        "materials": "Application form\nEnvironmental impact report\nPublic participation statement",
        "materials_zh": "申请表\n环境影响报告书（表）\n公众参与说明",
        "service_items": ["eia"],
    },
    {
        "code": "soil-water-plan-approval",
        "name": "Approval of a production and construction project's soil and water conservation plan",
        "name_zh": "生产建设项目水土保持方案审批",
        "description": "Projects that disturb land submit a soil and water conservation plan with an EIA.",
        "description_zh": "扰动地表的生产建设项目，须报批水土保持方案，并附环境影响评价文件。",
        "time_limit_days": 20,
        "materials": "Application form\nSoil and water conservation plan\nEnvironmental impact report",
        "materials_zh": "申请表\n水土保持方案报告书\n环境影响报告书",
        "service_items": ["soil-water", "eia"],
    },
]

STAGES = (
    ("Riverside logistics park", "open"),
    ("Cold-chain warehouse", "returned"),
    ("Battery materials line", "over_limit"),
    ("Packaging workshop", "accepted"),
    ("Coating line", "permit"),
)


def _matters(authority) -> list[ApprovalMatter]:
    categories = {c.code: c for c in Category.objects.filter(depth=1)}
    matters = []
    for spec in MATTERS:
        fields = {k: v for k, v in spec.items() if k not in ("code", "service_items")}
        matter, _created = ApprovalMatter.objects.update_or_create(
            code=spec["code"], defaults={**fields, "authority": authority}
        )
        matter.service_items.set([categories[code] for code in spec["service_items"] if code in categories])
        matters.append(matter)
    return matters


def _listing_for(category):
    """The demo provider's listing for ``category`` if it has one, else another certified provider's."""
    listings = with_listing_data(purchasable_listings().filter(categories=category).order_by("pk"))
    priced = [p for p in listings if listing_info(p).price]
    demo_provider = Provider.objects.filter(memberships__user__email=DEMO_PROVIDER_USER).first()
    ours = [p for p in priced if listing_info(p).provider == demo_provider]
    return (ours or priced or [None])[0]


def _late_order(buyer, listing, project: str, weeks: int) -> ServiceOrder:
    """An order paid ``weeks`` ago and still not delivered: its service is past the item's time limit."""
    so = hiring_demo.placed(buyer, listing, project, site=f"{project}, Daxing, Beijing")
    payment_flow.service_order_pay(service_order=so, amount=so.price, reference=f"demo-{so.order.number}")
    then = timezone.now() - datetime.timedelta(weeks=weeks)
    ServiceOrder.objects.filter(pk=so.pk).update(
        created_at=then, paid_at=then, due_at=then + datetime.timedelta(days=so.service_days)
    )
    return so


def _issue_permit(case, officer) -> None:
    """The permit from an accepted case, citing its delivery notes (if the officer may seal permits)."""
    today = timezone.localdate()
    data = signing_services.PermitData(
        holder=case.enterprise,
        matter=case.matter.name_zh or case.matter.name,
        scope=f"{case.project_name} — {case.site}",
        conditions="",
        valid_from=today,
        valid_until=today + datetime.timedelta(days=5 * 365),
        issue_key=f"demo-case:{case.code}",
        citations=selectors.case_citations(case),
    )
    try:
        permit = signing_services.permit_issue(authority=case.matter.authority, actor=officer, data=data)
    except SigningError:
        return  # no permit seal or grant in this demo: the case stays accepted
    services.case_permit_link(case=case, user=officer, permit=permit)


@transaction.atomic
def load_demo() -> str:
    authority = IssuingAuthority.objects.filter(code=DEMO_AUTHORITY["code"]).first()
    officer = User.objects.filter(email=OFFICER_EMAIL).first()
    buyers = demo_buyers()
    if authority is None or officer is None or not buyers:
        return "approval matters 0"
    matter = _matters(authority)[0]
    if Case.objects.exists():
        return f"approval matters {len(MATTERS)}; cases 0 created"
    listings = [_listing_for(category) for category in matter.service_items.all()]
    if None in listings:
        return f"approval matters {len(MATTERS)}; cases 0 created (no provider for a required service)"
    made = 0
    with notify.muted():
        for index, (project, stage) in enumerate(STAGES):
            buyer = buyers[index % len(buyers)]
            enterprise, user = buyer
            case = services.case_open(
                enterprise=enterprise,
                user=user,
                matter=matter,
                project_name=project,
                site=f"{project}, Daxing, Beijing",
                region=enterprise.region or "110000",
            )
            made += 1
            if stage == "open":
                continue
            if stage == "over_limit":
                # The intermediary is late: paid sixteen weeks ago, nothing delivered yet.
                so = _late_order(buyer, listings[0], project, weeks=16)
                services.case_attach_order(case=case, user=user, service_order_id=so.pk)
                continue
            for listing in listings:
                so = hiring_demo.sealed_accepted_order(buyer=buyer, listing=listing, project=project)
                services.case_attach_order(case=case, user=user, service_order_id=so.pk)
            services.case_submit(case=case, user=user)
            if stage == "returned":
                services.case_decide(
                    case=case, user=officer, accept=False, reason="The noise chapter does not cover night-time work."
                )
                continue
            services.case_decide(case=case, user=officer, accept=True)
            if stage == "permit":
                _issue_permit(case, officer)
    return f"approval matters {len(MATTERS)}; cases {made} created"
