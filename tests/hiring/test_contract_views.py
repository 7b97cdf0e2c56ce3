"""The contract on the order page: status, who sealed, download for the parties only, the seal
button for the party whose turn it is, and a retry when the platform could not issue it."""

import pytest
from django.urls import reverse

from marketplace.hiring import contracts
from marketplace.hiring.models import Contract
from signing.models import SealUse
from tests.factories import make_buyer
from tests.factories.contracts import (
    contract_materials,  # noqa: F401 - a fixture
    contract_parties,
    plain_member,
    platform_with_seal,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(category, contract_materials):  # noqa: F811 - the imported fixture
    platform_with_seal(contract_materials["platform"])
    return contract_parties(category=category, materials=contract_materials)


def _page(client, service_order):
    response = client.get(reverse("hiring:detail", args=[service_order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_buyer_then_provider_seal_from_the_order_page(client, parties, django_assert_max_num_queries):
    service_order, buyer, provider_user = parties
    contracts.contract_issue(service_order=service_order)
    seal_url = reverse("hiring:contract", args=[service_order.pk, "seal"])

    client.force_login(provider_user)
    page = _page(client, service_order)
    assert "Awaiting the buyer&#x27;s seal" in page and "order-contract__seal-button" not in page
    response = client.post(seal_url, follow=True)  # out of turn: refused with a message, logged
    assert "The buyer seals the contract first" in response.content.decode()
    assert SealUse.objects.filter(actor=provider_user, outcome="refused", detail="out of turn").exists()

    client.force_login(buyer)
    # 9 statements (tests/hiring/test_order_page_queries.py says which) and the request's savepoint pair.
    with django_assert_max_num_queries(11):
        page = _page(client, service_order)
    assert "order-contract__seal-button" in page
    response = client.post(seal_url, follow=True)
    assert "Your organisation&#x27;s seal is on the contract." in response.content.decode()
    assert "Sealed by the buyer" in response.content.decode()

    client.force_login(provider_user)
    assert "order-contract__seal-button" in _page(client, service_order)
    client.post(seal_url)
    page = _page(client, service_order)
    assert "Sealed by all parties" in page and "Sealed by the provider" in page
    assert Contract.objects.get(service_order=service_order).status == "sealed"


def test_contract_download_is_for_the_parties_and_staff_only(client, parties, staff):
    service_order, buyer, provider_user = parties
    contract = contracts.contract_issue(service_order=service_order)
    url = reverse("hiring:contract-download", args=[service_order.pk])
    for user in (buyer, provider_user, staff):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content == bytes(contract.document.pdf)
        # It names the parties and the price: never cached by a shared cache, never sniffed.
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"

    _enterprise, outsider = make_buyer()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(reverse("hiring:contract", args=[service_order.pk, "seal"])).status_code == 404
    assert not SealUse.objects.filter(actor=outsider).exists()
    client.logout()
    assert client.get(url).status_code == 302


def test_a_missing_contract_shows_why_and_can_be_issued_from_the_page(client, category, contract_materials):  # noqa: F811
    service_order, buyer, _provider_user = contract_parties(category=category, materials=contract_materials)
    client.force_login(buyer)
    issue_url = reverse("hiring:contract", args=[service_order.pk, "issue"])
    assert "order-contract__retry" in _page(client, service_order)
    response = client.post(issue_url, follow=True)  # the platform has no seal yet: a message, no 500
    assert response.status_code == 200 and "The platform has no seal yet" in response.content.decode()

    platform_with_seal(contract_materials["platform"])
    response = client.post(issue_url, follow=True)
    assert "The contract is issued and certified by the platform." in response.content.decode()
    assert Contract.objects.filter(service_order=service_order).exists()


def test_an_owner_without_a_seal_can_create_one_on_the_order_page(client, category, contract_materials):  # noqa: F811
    from tests.factories import make_certified_provider, make_service_order

    platform_with_seal(contract_materials["platform"])
    enterprise, owner = make_buyer()
    provider = make_certified_provider(categories=[category])
    service_order = make_service_order(enterprise=enterprise, buyer=owner, provider=provider, category=category)
    contracts.contract_issue(service_order=service_order)
    client.force_login(owner)
    assert "order-contract__create-seal" in _page(client, service_order)
    client.post(reverse("hiring:contract", args=[service_order.pk, "own-seal"]))
    assert "order-contract__seal-button" in _page(client, service_order)


def test_the_contract_box_renders_in_chinese(client, parties):
    service_order, buyer, _provider_user = parties
    contracts.contract_issue(service_order=service_order)
    client.force_login(buyer)
    response = client.get(f"/zh-hans/orders/{service_order.pk}/")
    assert response.status_code == 200
    assert "服务合同" in response.content.decode()


def test_only_granted_members_get_the_seal_button_and_a_later_owner_takes_the_grant(client, parties):
    """A member without a grant is told to ask an owner instead of being offered a button that can
    only be refused; an owner who joined after the seal was made takes the grant and seals."""
    from marketplace.enterprises.models import EnterpriseMember

    service_order, _buyer, _provider_user = parties
    contracts.contract_issue(service_order=service_order)

    member = plain_member(service_order.enterprise)
    client.force_login(member)
    page = _page(client, service_order)
    assert "order-contract__seal-button" not in page and "order-contract__create-seal" not in page
    assert "ask an owner of your organisation to apply its seal" in page

    late_owner = plain_member(service_order.enterprise)
    EnterpriseMember.objects.filter(user=late_owner).update(role=EnterpriseMember.Role.OWNER)
    client.force_login(late_owner)
    page = _page(client, service_order)
    assert "order-contract__seal-button" not in page and "Let me apply our seal" in page
    client.post(reverse("hiring:contract", args=[service_order.pk, "own-seal"]))
    assert "order-contract__seal-button" in _page(client, service_order)
    client.post(reverse("hiring:contract", args=[service_order.pk, "seal"]))
    assert Contract.objects.get(service_order=service_order).status == "awaiting_provider"
