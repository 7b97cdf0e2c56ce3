"""Demo providers and listings for ``load_demo``: idempotent, deterministic and quick.

About 25 providers across the service items and regions (most certified, some pending review,
one suspended, one whose only qualification has expired) and about 80 listings with realistic
CNY prices. Rows are created directly (no emails go out for demo data) but each provider still
gets the audit events its state implies. Everything is keyed by credit code, so a second run
creates nothing.
"""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from marketplace.accounts.models import User
from marketplace.catalogue.models import AttributeOption, Category, Product, ProductAttributeValue, ProductCategory
from marketplace.catalogue.services import product_class_ensure_intermediary_service
from marketplace.core.demo import demo_credit_code
from marketplace.partner.models import Partner, StockRecord
from signing import demo as signing_demo
from signing.pki import Pki

from . import certificates
from .models import Provider, ProviderEvent, ProviderMember, Qualification

DEMO_PROVIDER_USER = "provider@demo.onewindow.local"
DEMO_SCAN = b"%PDF-1.4\n% OneWindow demo qualification scan\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# (region code, English city, Chinese city)
CITIES = (
    ("110000", "Beijing", "北京"),
    ("310000", "Shanghai", "上海"),
    ("440100", "Guangzhou", "广州"),
    ("440300", "Shenzhen", "深圳"),
    ("330100", "Hangzhou", "杭州"),
    ("320100", "Nanjing", "南京"),
    ("510100", "Chengdu", "成都"),
    ("420100", "Wuhan", "武汉"),
    ("610100", "Xi'an", "西安"),
    ("370200", "Qingdao", "青岛"),
    ("430100", "Changsha", "长沙"),
    ("350200", "Xiamen", "厦门"),
)

# (English trade name, Chinese trade name, English suffix, Chinese suffix, service item codes)
FIRMS = (
    ("Huanke", "环科", "Environmental Technology", "环境科技", ("eia", "soil-water")),
    ("Anxin", "安信", "Safety Assessment", "安全评价", ("safety-assessment", "occupational-hazard")),
    ("Zhongce", "中测", "Surveying and Mapping", "测绘", ("surveying", "geotechnical")),
    ("Jianxin", "建信", "Engineering Cost Consulting", "工程造价咨询", ("cost-consulting",)),
    ("Hongtu", "宏图", "Design Review", "施工图审查", ("drawing-review",)),
    ("Lvneng", "绿能", "Energy Consulting", "节能咨询", ("energy-assessment", "eia")),
    ("Dizhi", "地质", "Geological Engineering", "地质工程", ("geohazard", "geotechnical")),
    ("Xiaoan", "消安", "Fire Protection Testing", "消防检测", ("fire-inspection",)),
    ("Leifang", "雷防", "Lightning Protection", "防雷检测", ("lightning-inspection",)),
    ("Tongda", "通达", "Traffic Planning", "交通规划", ("traffic-impact",)),
    ("Dijia", "地价", "Land Appraisal", "土地评估", ("land-valuation", "asset-appraisal")),
    ("Zhengxin", "正信", "Certified Public Accountants", "会计师事务所", ("audit", "asset-appraisal")),
    ("Mingde", "明德", "Law Firm", "律师事务所", ("legal",)),
)

# service item: (typical price in CNY, unit EN, unit ZH, service days, pricing mode, deliverables EN, ZH)
PRICING = {
    "eia": (
        68000,
        "per project",
        "每项目",
        45,
        "from",
        "Environmental impact report\nExpert review",
        "环境影响报告书\n专家评审",
    ),
    "safety-assessment": (35000, "per project", "每项目", 25, "fixed", "Safety assessment report", "安全评价报告"),
    "occupational-hazard": (
        28000,
        "per project",
        "每项目",
        25,
        "fixed",
        "Hazard pre-assessment report",
        "职业病危害预评价报告",
    ),
    "surveying": (4500, "per hectare", "每公顷", 12, "from", "Topographic map\nSurvey report", "地形图\n测量报告"),
    "cost-consulting": (
        18000,
        "per project",
        "每项目",
        15,
        "from",
        "Bill of quantities\nCost estimate",
        "工程量清单\n造价文件",
    ),
    "drawing-review": (0, "", "", 12, "quote", "Review opinion\nApproval certificate", "审查意见书\n审查合格书"),
    "energy-assessment": (26000, "per project", "每项目", 18, "fixed", "Energy-saving report", "节能报告"),
    "soil-water": (
        32000,
        "per project",
        "每项目",
        25,
        "fixed",
        "Soil and water conservation plan",
        "水土保持方案报告书",
    ),
    "geohazard": (
        30000,
        "per project",
        "每项目",
        20,
        "from",
        "Geological hazard assessment report",
        "地质灾害危险性评估报告",
    ),
    "fire-inspection": (3.5, "per m²", "每平方米", 7, "from", "Fire facility inspection report", "消防设施检测报告"),
    "lightning-inspection": (
        2800,
        "per building",
        "每栋",
        5,
        "fixed",
        "Lightning protection test report",
        "防雷检测报告",
    ),
    "traffic-impact": (
        45000,
        "per project",
        "每项目",
        25,
        "fixed",
        "Traffic impact assessment report",
        "交通影响评价报告",
    ),
    "land-valuation": (0, "", "", 8, "quote", "Land valuation report", "土地估价报告"),
    "asset-appraisal": (15000, "per engagement", "每项", 15, "from", "Asset appraisal report", "资产评估报告"),
    "audit": (12000, "per engagement", "每项", 15, "from", "Audit report", "审计报告"),
    "legal": (8000, "per matter", "每件", 7, "fixed", "Legal opinion", "法律意见书"),
    "geotechnical": (
        52000,
        "per project",
        "每项目",
        20,
        "from",
        "Geotechnical investigation report",
        "岩土工程勘察报告",
    ),
}

# Listing variants: (English title pattern, Chinese pattern, price factor, days factor)
VARIANTS = (
    ("{service} — standard", "{service}（标准服务）", Decimal("1.00"), 1.0),
    ("{service} — express", "{service}（加急服务）", Decimal("1.35"), 0.6),
    ("{service} — small projects", "{service}（小型项目）", Decimal("0.65"), 0.8),
)


def _plan():
    """(index, firm, city, status) for the demo providers; deterministic."""
    plan = []
    for n in range(25):
        firm = FIRMS[n % len(FIRMS)]
        city = CITIES[(n * 5) % len(CITIES)]
        status = Provider.Status.CERTIFIED
        if n in (22, 23):
            status = Provider.Status.PENDING_REVIEW
        elif n == 24:
            status = Provider.Status.DRAFT
        elif n == 21:
            status = Provider.Status.SUSPENDED
        plan.append((n, firm, city, status))
    return plan


@transaction.atomic
def load() -> dict:
    product_class = product_class_ensure_intermediary_service()
    categories = {c.code: c for c in Category.objects.filter(depth=1)}
    options = {o.code: o for o in AttributeOption.objects.filter(group__code="pricing_mode")}
    attributes = {a.code: a for a in product_class.attributes.all()}
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    demo_owner = User.objects.filter(email=DEMO_PROVIDER_USER).first()
    today = timezone.localdate()
    existing = set(
        Provider.objects.filter(credit_code__in=[demo_credit_code(n, c[0]) for n, _f, c, _s in _plan()]).values_list(
            "credit_code", flat=True
        )
    )
    created_providers = created_listings = 0

    for n, firm, city, status in _plan():
        code = demo_credit_code(n, city[0])
        if code in existing:
            continue
        trade, trade_zh, suffix, suffix_zh, services = firm
        name = f"{city[1]} {trade} {suffix} Co., Ltd."
        name_zh = f"{city[2]}{trade_zh}{suffix_zh}有限公司"
        partner = Partner.objects.create(name=name[:128], code=f"p-{code.lower()}")
        # Registered, submitted two days later, certified the day after: every page and event agrees.
        registered_at = timezone.now() - datetime.timedelta(days=30 * (n + 3))
        submitted_at = registered_at + datetime.timedelta(days=2)
        created_at = certified_at = submitted_at + datetime.timedelta(days=1)
        provider = Provider.objects.create(
            partner=partner,
            name=name,
            name_zh=name_zh,
            credit_code=code,
            legal_representative=["Wang Fang", "Li Qiang", "Zhang Wei", "Liu Yang", "Chen Jing"][n % 5],
            address=f"{100 + n} {['Renmin', 'Jianshe', 'Zhongshan', 'Xinhua'][n % 4]} Road, {city[1]}",
            region=city[0],
            contact_name=["Zhou Min", "Wu Lei", "Xu Li", "Sun Hao", "Ma Jun"][n % 5],
            contact_phone=f"400-{6000 + n:04d}-{1000 + n * 7:04d}",
            contact_email=f"contact{n}@{slugify(trade)}.demo.onewindow.local",
            description=f"{trade} has served {city[1]} and its region for over {5 + n % 15} years.",
            description_zh=f"{trade_zh}深耕{city[2]}及周边地区{5 + n % 15}年以上。",
            status=status,
            status_reason="Complaint about missed deadlines under investigation." if status == "suspended" else "",
            submitted_at=submitted_at if status != Provider.Status.DRAFT else None,
            certified_at=certified_at if status in (Provider.Status.CERTIFIED, Provider.Status.SUSPENDED) else None,
        )
        Provider.objects.filter(pk=provider.pk).update(created_at=registered_at)
        owner = demo_owner if n == 0 else None
        if owner is not None and not ProviderMember.objects.filter(user=owner).exists():
            ProviderMember.objects.create(provider=provider, user=owner, role=ProviderMember.Role.OWNER)
            partner.users.add(owner)
        ProviderEvent.objects.create(
            provider=provider, kind=ProviderEvent.Kind.REGISTERED, to_status="draft", created_at=registered_at
        )
        if status != Provider.Status.DRAFT:
            ProviderEvent.objects.create(
                provider=provider,
                kind=ProviderEvent.Kind.SUBMITTED,
                from_status="draft",
                to_status="pending_review",
                created_at=submitted_at,
            )
        if provider.certified_at:
            ProviderEvent.objects.create(
                provider=provider,
                kind=ProviderEvent.Kind.CERTIFIED,
                actor=staff,
                from_status="pending_review",
                to_status="certified",
                created_at=certified_at,
            )
        if status == Provider.Status.SUSPENDED:
            ProviderEvent.objects.create(
                provider=provider,
                kind=ProviderEvent.Kind.SUSPENDED,
                actor=staff,
                from_status="certified",
                to_status="suspended",
                reason=provider.status_reason,
            )

        for index, service in enumerate(services):
            category = categories.get(service)
            if category is None:
                continue
            # Provider 20's only qualification lapsed last week: its listings are off sale.
            lapsed = n == 20
            qualification_status = Qualification.Status.APPROVED
            if status in (Provider.Status.PENDING_REVIEW, Provider.Status.DRAFT):
                qualification_status = Qualification.Status.PENDING
            if lapsed:
                qualification_status = Qualification.Status.EXPIRED
            valid_until = (
                today - datetime.timedelta(days=7) if lapsed else today + datetime.timedelta(days=200 + 25 * n)
            )
            qualification = Qualification(
                provider=provider,
                category=category,
                certificate_number=f"{service[:3].upper()}-{city[0][:2]}-{2024 + index}-{1000 + n}",
                grade=["Grade A", "Grade B", "Class 1"][n % 3],
                issuer=f"{city[1]} Administration for Market Regulation",
                valid_from=valid_until - datetime.timedelta(days=3 * 365),
                valid_until=valid_until,
                status=qualification_status,
                reviewed_by=staff if qualification_status != Qualification.Status.PENDING else None,
                reviewed_at=created_at if qualification_status != Qualification.Status.PENDING else None,
            )
            qualification.scan.save(f"demo-{code}-{service}.pdf", ContentFile(DEMO_SCAN), save=False)
            qualification.save()
            if lapsed:
                ProviderEvent.objects.create(
                    provider=provider,
                    kind=ProviderEvent.Kind.QUALIFICATION_EXPIRED,
                    qualification=qualification,
                    from_status="approved",
                    to_status="expired",
                )
            if status == Provider.Status.DRAFT:
                continue
            for variant_index, variant in enumerate(VARIANTS[: 1 if index else 3]):
                created_listings += _create_listing(
                    provider, category, service, variant, variant_index, n, product_class, options, attributes
                )
        created_providers += 1
    return {"providers": created_providers, "listings": created_listings}


def _create_listing(provider, category, service, variant, variant_index, n, product_class, options, attributes):
    base, unit, unit_zh, days, mode, deliverables, deliverables_zh = PRICING[service]
    title_pattern, title_zh_pattern, price_factor, days_factor = variant
    service_name, service_name_zh = category.name, category.name_zh or category.name
    spread = Decimal(100 + (n * 7 + variant_index * 13) % 30) / 100  # 1.00–1.29: firms differ
    price = None
    if mode != "quote":
        price = (Decimal(str(base)) * price_factor * spread).quantize(Decimal("0.01" if base < 10 else "1"))
    title = title_pattern.format(service=service_name)
    product = Product.objects.create(
        product_class=product_class,
        structure=Product.STANDALONE,
        title=title,
        title_zh=title_zh_pattern.format(service=service_name_zh),
        slug=slugify(title)[:200] or "listing",
        description=f"{service_name} by {provider.name}: scoping, fieldwork, report and follow-up until approval.",
        description_zh=f"{provider.name_zh}提供{service_name_zh}：现场踏勘、编制报告并跟进至审批通过。",
        is_public=True,
    )
    ProductCategory.objects.create(product=product, category=category)
    served = sorted({provider.region, provider.region[:2] + "0000"})
    values = {
        "pricing_mode": options[mode],
        "price_unit": unit if mode != "quote" else "",
        "service_days": max(1, round(days * days_factor)),
        "regions_served": " ".join(served),
        "deliverables": deliverables,
        "deliverables_zh": deliverables_zh,
    }
    rows = []
    for code, value in values.items():
        row = ProductAttributeValue(product=product, attribute=attributes[code])
        if code == "pricing_mode":
            row.value_option = value
        elif code == "service_days":
            row.value_integer = value
        else:
            row.value_text = value
        rows.append(row)
    ProductAttributeValue.objects.bulk_create(rows)
    StockRecord.objects.create(
        product=product, partner=provider.partner, partner_sku=f"L{product.pk}", price=price, price_currency="CNY"
    )
    return 1


def certificates_load(*, pki: Pki | None = None) -> int:
    """The demo provider's contract seal (re-made if the PKI was re-initialised), and a sealed
    certificate for every certified provider that has none. Run after the signing demo
    (``pki_init``); idempotent. Returns how many certificates were issued."""
    signing_demo.organisation_seals_ensure(
        providers=Provider.objects.filter(memberships__user__email=DEMO_PROVIDER_USER), pki=pki or Pki.default()
    )
    return certificates.provider_certificates_backfill()


def load_demo() -> str:
    result = load()
    certificates_issued = certificates_load()
    return (
        f"providers {result['providers']} created, listings {result['listings']} created; "
        f"provider certificates issued: {certificates_issued}"
    )
