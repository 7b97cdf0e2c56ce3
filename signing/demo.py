"""The PKI's standing parties (the platform and a demo authority) and the demo permits."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.enterprises.models import Enterprise, EnterpriseMember

from . import services
from providers.models import Provider

from .models import Contract, ContractSeal, DocumentKind, IssuingAuthority, Permit, Seal
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
    contract seals of the demo buyer's enterprise and the demo provider where they exist."""
    pki = pki or Pki.default()
    created = pki.init()
    with transaction.atomic():
        for spec, purpose in ((PLATFORM, "Platform documents"), (DEMO_AUTHORITY, "Permits")):
            authority = services.authority_ensure(**spec)
            _seal, made = _ensure_seal(authority, pki, purpose)
            if made:
                created.append(f"seal:{authority.code}")
        created += organisation_seals_ensure(
            enterprises=Enterprise.objects.filter(memberships__user__email=DEMO_BUYER_EMAIL),
            providers=Provider.objects.filter(memberships__user__email=DEMO_PROVIDER_EMAIL),
            pki=pki,
        )
    return created


DEMO_BUYER_EMAIL = "buyer@demo.onewindow.local"
DEMO_PROVIDER_EMAIL = "provider@demo.onewindow.local"


def organisation_seals_ensure(*, enterprises, providers, pki: Pki) -> list[str]:
    """A contract seal for each organisation that has no usable one; returns what was made."""
    created = []
    for kind, organisations in (("enterprise", enterprises), ("provider", providers)):
        for organisation in organisations.distinct():
            existing = services.organisation_seal_for(**{kind: organisation})
            if existing is not None and pki.keys.exists(existing.key_ref):
                continue
            if existing is not None:
                services.seal_revoke(seal=existing, reason="key no longer in the key store (PKI re-initialised)", pki=pki)
            services.organisation_seal_create(actor=None, pki=pki, **{kind: organisation})
            created.append(f"seal:{kind}-{organisation.pk}")
    return created


def contracts_load(*, pki: Pki | None = None) -> dict:
    """The demo buyer's contracts with the demo provider at every stage: awaiting the buyer,
    sealed by the buyer only, sealed by both. Run after the hiring demo; idempotent. (Every other
    order got its contract after commit, when the orders were made.)"""
    from marketplace.hiring.models import ServiceOrder

    pki = pki or Pki.default()
    orders = (
        ServiceOrder.objects.filter(
            enterprise__memberships__user__email=DEMO_BUYER_EMAIL,
            provider__memberships__user__email=DEMO_PROVIDER_EMAIL,
        )
        .exclude(order__status__in=services.CLOSED_ORDER_STATUSES)
        .select_related("order")
        .order_by("created_at", "pk")
    )
    buyer = User.objects.filter(email=DEMO_BUYER_EMAIL).first()
    provider_user = User.objects.filter(email=DEMO_PROVIDER_EMAIL).first()
    if buyer is None or provider_user is None or not orders.exists():
        return {"contracts": 0, "sealings": 0}
    organisation_seals_ensure(
        enterprises=Enterprise.objects.filter(pk=orders[0].enterprise_id),
        providers=Provider.objects.filter(pk=orders[0].provider_id),
        pki=pki,
    )
    issued = 0
    contracts = []
    for service_order in orders:
        issued += not Contract.objects.filter(service_order=service_order).exists()
        contracts.append(services.contract_issue(service_order=service_order))
    sealed = 0
    if not ContractSeal.objects.filter(actor=buyer).exists():
        for index, contract in enumerate(contracts[1:3]):  # the second: both parties; the third: buyer only
            services.contract_seal(contract=contract, actor=buyer)
            sealed += 1
            if index == 0:
                services.contract_seal(contract=contract, actor=provider_user)
                sealed += 1
    return {"contracts": issued, "sealings": sealed}
