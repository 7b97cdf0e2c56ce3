"""Parties, seals and contracts for the service-contract tests, built through the real services."""

import uuid

import pytest

from marketplace.enterprises.models import EnterpriseMember
from signing import demo, services
from signing.models import IssuingAuthority, Seal
from signing.pki import Pki
from signing.services.seals import _seal_from_chain

from .accounts import UserFactory
from .hiring import make_buyer, make_service_order
from .providers import make_certified_provider


def seal_from_material(material, **owner) -> Seal:
    """A seal row over a session-made key and certificate (RSA key generation is the slow part)."""
    chain_pem, key_ref = material
    return _seal_from_chain(
        **owner,
        name="Test contract seal",
        purpose="Service contracts",
        chain_pem=chain_pem,
        key_store="encrypted",
        key_ref=key_ref,
    )


def platform_with_seal(material) -> IssuingAuthority:
    authority = services.authority_ensure(**demo.PLATFORM)
    seal_from_material(material, authority=authority)
    return authority


def grant_owners(seal: Seal, organisation) -> None:
    for membership in organisation.memberships.filter(role="owner"):
        services.grant_create(seal=seal, user=membership.user, document_kind="service_contract")


def contract_parties(*, category, materials):
    """An order between an enterprise and a certified provider, each with a contract seal granted to
    its owner. Returns (service_order, buyer owner, provider owner)."""
    enterprise, buyer = make_buyer(name="Jinghua New Materials Co., Ltd.", name_zh="京华新材料有限公司")
    provider = make_certified_provider(categories=[category], name="Beijing Green EIA Consulting")
    provider_user = provider.memberships.first().user
    grant_owners(seal_from_material(materials["buyer"], enterprise=enterprise), enterprise)
    grant_owners(seal_from_material(materials["provider"], provider=provider), provider)
    service_order = make_service_order(enterprise=enterprise, buyer=buyer, provider=provider, category=category)
    return service_order, buyer, provider_user


def plain_member(enterprise):
    """A member of the enterprise without the owner role (and so without a grant)."""
    user = UserFactory()
    EnterpriseMember.objects.create(enterprise=enterprise, user=user, role=EnterpriseMember.Role.MEMBER)
    return user


@pytest.fixture(scope="session")
def contract_materials(pki_dir):
    """Keys and certificates for the platform's, a buyer's and a provider's contract seals, made once."""
    from django.test import override_settings

    from tests.conftest import TEST_SEAL_KEK

    with override_settings(SIGNING_PKI_DIR=pki_dir, SEAL_KEY_ENCRYPTION_KEY=TEST_SEAL_KEK):
        pki = Pki(pki_dir)
        materials = {}
        for party, organisation in (
            ("platform", "OneWindow Platform"),
            ("buyer", "Jinghua New Materials Co., Ltd."),
            ("provider", "Beijing Green EIA Consulting"),
        ):
            cert, key_ref = pki.issue_seal(
                label=f"contract-{party}-{uuid.uuid4().hex[:8]}",
                common_name=f"{organisation} Seal",
                organisation=organisation,
            )
            materials[party] = (pki.chain_pem(cert), key_ref)
        return materials
