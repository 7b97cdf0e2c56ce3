"""Demo approval matters of the demo authority, and cases at every stage: one gathering services, one
returned for correction, one submitted and past the authority's time limit, one accepted, one that
ended in a permit. Idempotent."""

import datetime

from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.catalogue.models import Category
from marketplace.enterprises.demo import demo_buyers
from marketplace.hiring.models import ServiceOrder, Status
from signing.demo import DEMO_AUTHORITY, OFFICER_EMAIL
from signing.models import IssuingAuthority

from . import services
from .models import ApprovalMatter, Case, CaseSubmission

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


def _accepted_order(enterprise, category, used: set) -> ServiceOrder | None:
    so = (
        ServiceOrder.objects.filter(
            enterprise=enterprise, category=category, order__status=Status.COMPLETED, case_link__isnull=True
        )
        .exclude(pk__in=used)
        .order_by("-accepted_at")
        .first()
    )
    if so is not None:
        used.add(so.pk)
    return so


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
    made, used = 0, set()
    for index, (project, stage) in enumerate(STAGES):
        # The demo buyer's own enterprise first, then the history buyers, whose orders are completed.
        enterprise, user = buyers[index % len(buyers)]
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
        orders = [_accepted_order(enterprise, category, used) for category in matter.service_items.all()]
        if None in orders:
            continue
        for so in orders:
            services.case_attach_order(case=case, user=user, service_order_id=so.pk)
        services.case_submit(case=case, user=user)
        if stage == "over_limit":
            # Submitted eight weeks ago and still undecided: the authority is past its limit.
            then = timezone.now() - datetime.timedelta(weeks=8)
            Case.objects.filter(pk=case.pk).update(opened_at=then - datetime.timedelta(days=3))
            CaseSubmission.objects.filter(case=case).update(submitted_at=then)
        elif stage == "returned":
            services.case_decide(
                case=case, user=officer, accept=False, reason="The noise chapter does not cover night-time work."
            )
        elif stage == "accepted":
            services.case_decide(case=case, user=officer, accept=True)
    return f"approval matters {len(MATTERS)}; cases {made} created"
