"""A contract the provider leaves unsealed after the buyer sealed it counts against its credit by itself,
once the published grace has run out; sealed in time it never does. Real contracts, real seals."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.credit import selectors
from marketplace.hiring import contracts
from marketplace.hiring.models import ContractSeal
from tests.factories.contracts import contract_materials, contract_parties, platform_with_seal  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(category, contract_materials):  # noqa: F811 - the fixture imported above
    platform_with_seal(contract_materials["platform"])
    return contract_parties(category=category, materials=contract_materials)


def unsigned(provider, now=None):
    return [e for e in selectors.credit_record(provider=provider, now=now).entries if e.source == "unsigned"]


def buyer_sealed(parties, days_ago):
    service_order, buyer, _ = parties
    contract = contracts.contract_seal(contract=contracts.contract_issue(service_order=service_order), actor=buyer)
    when = timezone.now() - datetime.timedelta(days=days_ago)
    ContractSeal.objects.filter(contract=contract, party="buyer").update(sealed_at=when)  # the seal, days ago
    return contract, when


def test_left_unsealed_past_the_grace_it_deducts_from_the_day_the_grace_ran_out(parties, settings):
    settings.CREDIT_CONTRACT_SEAL_DAYS = 7
    service_order, _, _ = parties
    contract, when = buyer_sealed(parties, days_ago=3)
    assert unsigned(service_order.provider) == []  # four days of grace are left
    (entry,) = unsigned(service_order.provider, now=timezone.now() + datetime.timedelta(days=5))
    assert entry.date == when + datetime.timedelta(days=7) and entry.contribution.deduction == Decimal(10)
    assert contract.number in entry.detail and service_order.order.number in entry.detail
    listed = [row for row in selectors.negative_list() if row.provider.pk == service_order.provider_id]
    assert listed == []  # not yet: today is within the grace
    settings.CREDIT_CONTRACT_SEAL_DAYS = 2
    assert len([row for row in selectors.negative_list() if row.provider.pk == service_order.provider_id]) == 1


def test_sealed_within_the_grace_it_never_counts_and_sealed_late_it_still_does(parties, settings):
    settings.CREDIT_CONTRACT_SEAL_DAYS = 7
    service_order, _, provider_user = parties
    contract, _ = buyer_sealed(parties, days_ago=10)
    assert len(unsigned(service_order.provider)) == 1
    contracts.contract_seal(contract=contract, actor=provider_user)  # today: three days late
    assert len(unsigned(service_order.provider)) == 1
    ContractSeal.objects.filter(contract=contract, party="provider").update(
        sealed_at=timezone.now() - datetime.timedelta(days=5)  # two days after the buyer: in time
    )
    assert unsigned(service_order.provider) == []
