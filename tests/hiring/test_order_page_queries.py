"""The order page reads in the same number of queries however much the order gathers: events,
messages and their corrections, deliverables, delivery notes, extension requests. Counted for the
buyer and the provider, on the view that records their reading (the other side wrote since) and on
the view after it (nothing new: it writes nothing)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.conversations import services as conversations
from marketplace.conversations.models import ThreadRead
from marketplace.hiring import contracts
from marketplace.hiring import services as hiring
from signing import services as signing_services
from signing.models import DocumentKind
from tests.factories import deliver, pay, pdf_upload
from tests.factories.contracts import (
    contract_materials,  # noqa: F401 - a fixture
    contract_parties,
    platform_with_seal,
)

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
# The whole page with every list it has, on the view that records a reading: the header's three
# (user, basket count, memberships, which also answer the user's side); the order with its contract,
# refund figures and which lists it has; its history; the contract's seals and who applied them;
# the organisation's seal with the user's grants on it (the buyer's turn to seal the contract, the
# provider's to deliver); deliverables, delivery notes, extension requests; the thread's messages
# with both sides' last readings; and the UPDATE that records this reading. The view after it: one
# fewer. A dispute (one at most per order) or a rating (completed orders) adds its own query.
PINNED = {"buyer": 12, "buyer, again": 11, "provider": 12, "provider, again": 11}


@pytest.fixture
def parties(category, contract_materials):  # noqa: F811 - the imported fixture
    platform_with_seal(contract_materials["platform"])
    service_order, buyer, provider_user = contract_parties(category=category, materials=contract_materials)
    seal = signing_services.organisation_seal_for(provider=service_order.provider)
    signing_services.grant_create(seal=seal, user=provider_user, document_kind=DocumentKind.DELIVERY_NOTE)
    contracts.contract_issue(service_order=service_order)
    pay(service_order)
    return service_order, buyer, provider_user


def _statements(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured if not q["sql"].upper().startswith(TRANSACTION_CONTROL)]


def _round(service_order, buyer, provider_user, n: int) -> None:
    """One more of everything: a file, an extension request and its answer, a message from each side
    and a correction, a delivery (its sealed note), a revision request, work resumed."""
    hiring.deliverable_upload(service_order=service_order, user=provider_user, file=pdf_upload(f"report-{n}.pdf"))
    extension = hiring.extension_request(service_order=service_order, user=provider_user, days=5, reason="Site visit")
    hiring.extension_decide(extension=extension, user=buyer, grant=n % 2 == 0)
    conversations.message_post(service_order=service_order, user=buyer, body=f"Question {n}")
    answer = conversations.message_post(service_order=service_order, user=provider_user, body=f"Answer {n}")
    conversations.message_edit(message=answer, user=provider_user, body=f"Answer {n}, corrected")
    deliver(service_order, provider_user)
    hiring.service_order_request_revision(service_order=service_order, user=buyer, reason="Add the appendix")
    hiring.service_order_resume(service_order=service_order, user=provider_user)


def _counts(client, service_order, buyer, provider_user) -> dict[str, int]:
    url = service_order.get_absolute_url()
    counts = {}
    for name, user, other in (("buyer", buyer, provider_user), ("provider", provider_user, buyer)):
        conversations.message_post(service_order=service_order, user=other, body="Anything new?")
        client.force_login(user)
        reading = _statements(client, url)
        assert any(sql.startswith('UPDATE "conversations_threadread"') for sql in reading), name
        again = _statements(client, url)
        assert not any(sql.startswith(("UPDATE", "INSERT")) for sql in again), name  # a GET that writes nothing
        counts[name] = len(reading)
        counts[f"{name}, again"] = len(again)
    return counts


def test_the_order_page_reads_in_constant_queries_as_the_order_grows(client, parties):
    service_order, buyer, provider_user = parties
    _round(service_order, buyer, provider_user, 0)
    few = _counts(client, service_order, buyer, provider_user)
    for n in range(1, 4):
        _round(service_order, buyer, provider_user, n)
    page = client.get(service_order.get_absolute_url()).content.decode()
    assert page.count("report-") >= 4 and "Answer 3, corrected" in page and page.count("more days") == 4
    assert service_order.delivery_notes.count() == 4
    assert _counts(client, service_order, buyer, provider_user) == few == PINNED


def test_the_first_reading_of_a_thread_is_recorded_once(client, parties):
    """A member who has never opened the thread gets a reading row on their first view (an INSERT
    after the UPDATE finds none), and later views update that row."""
    service_order, buyer, provider_user = parties
    conversations.message_post(service_order=service_order, user=buyer, body="Hello")
    client.force_login(provider_user)
    assert not ThreadRead.objects.filter(service_order=service_order, user=provider_user).exists()
    client.get(service_order.get_absolute_url())
    first = ThreadRead.objects.get(service_order=service_order, user=provider_user).read_at
    conversations.message_post(service_order=service_order, user=buyer, body="Still there?")
    client.get(service_order.get_absolute_url())
    assert ThreadRead.objects.get(service_order=service_order, user=provider_user).read_at > first
    client.force_login(buyer)
    assert client.get(service_order.get_absolute_url()).content.decode().count("Read by the other party") == 2
