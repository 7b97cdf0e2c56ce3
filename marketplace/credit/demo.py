"""Demo inputs from the other two parties, so the demo providers' grades differ. Idempotent."""

import datetime
from decimal import Decimal

from django.db import transaction

from marketplace.accounts.models import User
from marketplace.hiring.models import ServiceOrder, Status
from marketplace.ratings.models import AuthorityEvaluation, PlatformEvaluation
from signing.demo import DEMO_AUTHORITY, OFFICER_EMAIL
from signing.models import IssuingAuthority

from . import services

STAFF_EMAIL = "staff@onewindow.local"
REASONS = {
    1: "多次超过承诺时限，未申请延期 / Missed the promised time limit several times without asking for an extension.",
    2: "答复异议迟缓 / Slow to answer an objection.",
    4: "按时限完成，配合良好 / Met the time limits and cooperated well.",
    5: "无异议、无纠纷，时限全部达标 / No objections or disputes; every time limit met.",
}


@transaction.atomic
def load() -> dict:
    """Authority evaluations of about a third of the demo orders, platform evaluations of some providers."""
    authority = IssuingAuthority.objects.filter(code=DEMO_AUTHORITY["code"]).first()
    officer = User.objects.filter(email=OFFICER_EMAIL).first()
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if authority is None or officer is None or staff is None or AuthorityEvaluation.objects.exists():
        return {"authority": 0, "platform": 0}
    orders = list(
        ServiceOrder.objects.filter(order__number__startswith="OWDEMO", order__status=Status.COMPLETED)
        .select_related("order")
        .order_by("pk")
    )
    authority_rows = []
    for n, so in enumerate(orders):
        if n % 3:
            continue
        # Each provider has its own standing with the authority, so grades spread out.
        quality = 1 + (so.provider_id * 7) % 5
        timeliness = max(1, min(5, quality + (-1 if so.delivered_at > so.due_at else 0)))
        authority_rows.append(
            AuthorityEvaluation(
                service_order=so,
                provider_id=so.provider_id,
                authority=authority,
                approval_number=f"京环审〔2026〕{100 + n}号",
                author=officer,
                quality=quality,
                timeliness=timeliness,
                overall=Decimal(quality + timeliness) / 2,
                comment="报告用于环评审批 / Report used in the EIA approval.",
                created_at=so.accepted_at + datetime.timedelta(days=10),
            )
        )
    AuthorityEvaluation.objects.bulk_create(authority_rows)
    platform_rows = []
    for provider_id in sorted({so.provider_id for so in orders}):
        conduct = {0: 1, 1: 5, 2: 4, 3: 2}.get(provider_id % 6)
        if conduct is None:
            continue
        last = max(so.accepted_at for so in orders if so.provider_id == provider_id)
        platform_rows.append(
            PlatformEvaluation(
                provider_id=provider_id,
                period_start=(last - datetime.timedelta(days=180)).date(),
                period_end=last.date(),
                ground=PlatformEvaluation.Ground.TIME_LIMITS,
                conduct=conduct,
                reason=REASONS[conduct],
                author=staff,
                created_at=last + datetime.timedelta(days=1),
            )
        )
    PlatformEvaluation.objects.bulk_create(platform_rows)
    return {"authority": len(authority_rows), "platform": len(platform_rows)}


def load_demo() -> str:
    result = load()
    return f"evaluations by the authority {result['authority']}, by the platform {result['platform']} created"


def load_demo_after_commit() -> str:
    # Every provider's credit grade from the demo history (also the nightly task's job).
    return f"credit grades changed for {services.providers_credit_recompute_all()} providers"
