"""The PKI's standing parties (the platform and a demo authority) and the demo permits."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.enterprises.demo import DEMO_BUYER_EMAIL
from marketplace.enterprises.models import Enterprise, EnterpriseMember

from . import services
from .models import DocumentKind, IssuingAuthority, Permit, Seal
from .pki import Pki

PLATFORM = {
    "code": "onewindow",
    "name": "OneWindow Platform",
    "name_zh": "一窗通中介服务平台",
    "number_prefix": "OW",
    "is_platform": True,
}
DEMO_AUTHORITY = {
    "code": "bj-eeb",
    "name": "Beijing Municipal Ecology and Environment Bureau",
    "name_zh": "北京市生态环境局",
    "number_prefix": "BJEE",
    "region": "110000",
}
OFFICER_EMAIL = "officer@demo.onewindow.local"


def _ensure_seal(authority: IssuingAuthority, pki: Pki, purpose: str) -> tuple[Seal, bool]:
    seal = authority.seals.filter(status=Seal.Status.ACTIVE, key_store=Seal.KeyStoreKind.ENCRYPTED).first()
    if seal is not None and pki.keys.exists(seal.key_ref):
        return seal, False
    if seal is not None:
        # The PKI directory was re-created: the old key is gone, so that seal can never seal again.
        services.seal_revoke(seal=seal, reason="key no longer in the key store (PKI re-initialised)", pki=pki)
    return services.seal_create(authority=authority, name=f"{authority.name} seal", purpose=purpose, pki=pki), True


def pki_init(*, pki: Pki | None = None) -> list[str]:
    """Idempotently: the CA files, then the platform's and the demo authority's seals, and the
    contract seal of the demo buyer's enterprise where it exists. (The demo provider's seal is the
    providers demo's: ``providers.demo.seals_load``.)"""
    pki = pki or Pki.default()
    created = pki.init()
    with transaction.atomic():
        for spec, purpose in ((PLATFORM, "Platform documents"), (DEMO_AUTHORITY, "Permits")):
            authority = services.authority_ensure(**spec)
            _seal, made = _ensure_seal(authority, pki, purpose)
            if made:
                created.append(f"seal:{authority.code}")
        created += organisation_seals_ensure(
            enterprises=Enterprise.objects.filter(memberships__user__email=DEMO_BUYER_EMAIL), pki=pki
        )
    return created


def organisation_seals_ensure(*, enterprises=None, providers=None, pki: Pki) -> list[str]:
    """A contract seal for each organisation (querysets of enterprises or providers) that has no
    usable one; returns what was made."""
    created = []
    for kind, organisations in (("enterprise", enterprises), ("provider", providers)):
        if organisations is None:
            continue
        for organisation in organisations.distinct():
            existing = services.organisation_seal_for(**{kind: organisation})
            if existing is not None and pki.keys.exists(existing.key_ref):
                continue
            if existing is not None:
                services.seal_revoke(
                    seal=existing, reason="key no longer in the key store (PKI re-initialised)", pki=pki
                )
            services.organisation_seal_create(actor=None, pki=pki, **{kind: organisation})
            created.append(f"seal:{kind}-{organisation.pk}")
    return created


DEMO_HOLDERS = [
    ("91110000600037341L", "Jinghua New Materials Co., Ltd.", "京华新材料有限公司"),
    ("91110108MA01A2B3C4", "Haidian Precision Instruments Co., Ltd.", "海淀精密仪器有限公司"),
    ("91110105MA00XY3125", "Chaoyang Green Energy Technology Co., Ltd.", "朝阳绿色能源科技有限公司"),
]
DEMO_PERMITS = [
    (
        "建设项目环境影响评价文件审批（报告表）",
        "年产5000吨新型复合材料生产线建设项目。",
        "严格落实各项污染防治措施；竣工后依法开展环境保护验收。",
    ),
    ("排污许可证核发", "废气、废水污染物排放，执行国家和北京市排放标准。", "按证排污，按规定开展自行监测并公开信息。"),
    ("危险废物经营许可", "HW08废矿物油收集、贮存，年经营规模2000吨。", "建立危险废物管理台账，转移执行联单制度。"),
    ("辐射安全许可", "使用Ⅲ类射线装置（工业探伤）。", "落实辐射防护措施，工作人员持证上岗。"),
    ("建设项目环境影响评价文件审批（报告书）", "城市污水处理厂提标改造工程。", "施工期落实扬尘和噪声控制措施。"),
    ("排污许可证变更", "新增一条涂装生产线的挥发性有机物排放。", "安装在线监测设备并与生态环境部门联网。"),
    ("建设项目环境保护验收备案", "研发中心实验楼项目配套环保设施。", "—"),
    ("固体废物跨省转移审批", "一般工业固体废物转移至河北省利用处置。", "转移过程全程电子联单跟踪。"),
    ("建设项目环境影响登记表备案", "办公楼中央空调系统改造。", ""),
    ("排污许可证延续", "热电联产机组废气排放。", "执行超低排放限值。"),
]


def _valid_code(code: str) -> str:
    from marketplace.core.validators import credit_code_check_character

    return code[:17] + credit_code_check_character(code[:17])


def load(*, pki: Pki | None = None) -> int:
    """Officer membership and grant, holder enterprises, and ~10 sealed permits (one suspended,
    one revoked). Creates only what is missing, so it is safe to run again."""
    pki = pki or Pki.default()
    pki_init(pki=pki)
    authority = IssuingAuthority.objects.get(code=DEMO_AUTHORITY["code"])
    officer = User.objects.get(email=OFFICER_EMAIL)
    services.authority_member_add(authority=authority, user=officer)
    seal = services.permit_seal_for(authority)
    if not seal.grants.current().filter(user=officer, document_kind=DocumentKind.PERMIT).exists():
        services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    holders = []
    for code, name, name_zh in DEMO_HOLDERS:
        enterprise, _created = Enterprise.objects.get_or_create(
            credit_code=_valid_code(code), defaults={"name": name, "name_zh": name_zh, "region": "110000"}
        )
        holders.append(enterprise)
    buyer = User.objects.filter(email=DEMO_BUYER_EMAIL).first()
    if buyer is not None:
        EnterpriseMember.objects.get_or_create(
            enterprise=holders[0], user=buyer, defaults={"role": EnterpriseMember.Role.OWNER}
        )
    existing = Permit.objects.filter(authority=authority).count()
    if existing >= len(DEMO_PERMITS):
        return 0
    today = timezone.localdate()
    rows = []
    for i, (matter, scope, conditions) in enumerate(DEMO_PERMITS[existing:], start=existing):
        rows.append(
            services.PermitData(
                holder=holders[i % len(holders)],
                matter=matter,
                scope=scope,
                conditions=conditions,
                valid_from=today - dt.timedelta(days=30 * i),
                valid_until=today + dt.timedelta(days=365 * 5 - 30 * i),
            )
        )
    with services.sealing_session(seal=seal, pki=pki) as sealer:
        permits = [
            services.permit_issue(authority=authority, actor=officer, data=data, seal=seal, sealer=sealer)
            for data in rows
        ]
    by_number = {p.number: p for p in Permit.objects.filter(authority=authority).order_by("number")}
    ordered = list(by_number.values())
    if (
        len(ordered) >= 3
        and ordered[1].status == Permit.Status.VALID
        and not ordered[1].events.exclude(action="issued").exists()
    ):
        services.permit_suspend(
            permit=ordered[1], actor=officer, reason="整改期间暂停 / Suspended pending corrective action"
        )
    if (
        len(ordered) >= 3
        and ordered[2].status == Permit.Status.VALID
        and not ordered[2].events.exclude(action="issued").exists()
    ):
        services.permit_revoke(permit=ordered[2], actor=officer, reason="以欺骗手段取得 / Obtained by deception")
    return len(permits)


def load_demo() -> str:
    return f"sealed permits issued: {load()}"
