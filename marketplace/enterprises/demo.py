"""Demo buyer enterprises: the demo buyer's own, and five more that fill the order history."""

from django.db import transaction

from marketplace.accounts.models import User
from marketplace.core.demo import demo_credit_code, ensure_user

from .models import Enterprise, EnterpriseMember

DEMO_BUYER_EMAIL = "buyer@demo.onewindow.local"
DEMO_ENTERPRISE = {
    "credit_code": "91110000600037341L",
    "name": "Jinghua New Materials Co., Ltd.",
    "name_zh": "京华新材料有限公司",
    "region": "110000",
    "contact_name": "Chen Mei",
    "contact_email": DEMO_BUYER_EMAIL,
}
BUYERS = (
    # n, name, Chinese name, region
    (1, "Huabei Steel Structures Co., Ltd.", "华北钢结构有限公司", "110000"),
    (2, "Pudong Biopharma Co., Ltd.", "浦东生物医药有限公司", "310000"),
    (3, "Lingnan Logistics Park Co., Ltd.", "岭南物流园有限公司", "440100"),
    (4, "Qiantang Smart Manufacturing Co., Ltd.", "钱塘智能制造有限公司", "330100"),
    (5, "Tianfu Food Processing Co., Ltd.", "天府食品加工有限公司", "510100"),
)


def buyer_credit_code(n: int, region: str) -> str:
    return demo_credit_code(900 + n, region)


def demo_buyers() -> list[tuple[Enterprise, User]]:
    """(enterprise, owner) for the demo buyer's enterprise, then the five history buyers."""
    result = []
    demo = Enterprise.objects.filter(credit_code=DEMO_ENTERPRISE["credit_code"]).first()
    if demo is not None:
        owner = demo.memberships.select_related("user").order_by("pk").first()
        result.append((demo, owner.user))
    codes = [buyer_credit_code(n, region) for n, _name, _zh, region in BUYERS]
    by_code = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)}
    for n, _name, _zh, region in BUYERS:
        enterprise = by_code.get(buyer_credit_code(n, region))
        if enterprise is not None:
            result.append((enterprise, User.objects.get(email=f"buyer{n}@demo.onewindow.local")))
    return result


@transaction.atomic
def load_demo() -> str:
    enterprise, _ = Enterprise.objects.get_or_create(
        credit_code=DEMO_ENTERPRISE["credit_code"], defaults=DEMO_ENTERPRISE
    )
    buyer = User.objects.filter(email=DEMO_BUYER_EMAIL).first()
    if buyer is not None:
        EnterpriseMember.objects.get_or_create(
            enterprise=enterprise, user=buyer, defaults={"role": EnterpriseMember.Role.OWNER}
        )
    for n, name, name_zh, region in BUYERS:
        enterprise, _ = Enterprise.objects.get_or_create(
            credit_code=buyer_credit_code(n, region),
            defaults={"name": name, "name_zh": name_zh, "region": region, "contact_name": "Demo"},
        )
        user = ensure_user(f"buyer{n}@demo.onewindow.local", "Demo", "Buyer")
        EnterpriseMember.objects.get_or_create(
            enterprise=enterprise, user=user, defaults={"role": EnterpriseMember.Role.OWNER}
        )
    return f"{len(BUYERS) + 1} buyer enterprises"
