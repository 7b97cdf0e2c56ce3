"""Placing an order does not wait for its contract: the contract is sealed after the response is
sent (eager tasks, no broker), and the order page says it is arriving until it is there. A failure
after the response is logged, never shown to the person as an error page."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from marketplace.core import after_response
from marketplace.hiring import tasks
from marketplace.hiring.models import Contract, ServiceOrder
from signing.demo import pki_init
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(category, providers, settings):
    settings.VERIFY_ISOLATE = False
    pki_init()
    return make_listing(providers[0], category, price=Decimal("68000"), service_days=20, title="Safety assessment")


@pytest.mark.django_db(transaction=True)  # the request's own commit queues the contract, as in production
def test_the_order_is_placed_before_its_contract_is_sealed(client, buyer, listing, monkeypatch):
    enterprise, owner = buyer
    held = []
    monkeypatch.setattr(after_response, "_run", held.append)  # what runs once the response is sent, held
    client.force_login(owner)
    client.post(reverse("cart-add", kwargs={"pk": listing.pk}), {"next": "checkout"})
    response = client.post(reverse("direct-checkout"), {"enterprise": enterprise.pk, "project_name": "Plant B"})
    assert response.status_code == 302
    so = ServiceOrder.objects.get()
    assert not Contract.objects.filter(service_order=so).exists()  # the response did not wait for sealing
    page = client.get(so.get_absolute_url()).content.decode()
    assert "data-contract-arriving" in page and "sealing this order" in page

    monkeypatch.undo()
    for jobs in held:  # the server sends the response, then runs the deferred work
        after_response._run(jobs)
    assert Contract.objects.filter(service_order=so).exists()
    page = client.get(so.get_absolute_url()).content.decode()
    assert "data-contract-arriving" not in page and "Download the contract" in page


def test_deferred_work_runs_when_the_response_closes_and_a_failure_is_only_logged(caplog):
    ran = []

    def view(request):
        after_response.after_response(lambda: ran.append("first"))
        after_response.after_response(lambda: 1 / 0)
        after_response.after_response(lambda: ran.append("third"))
        return HttpResponse("done")

    response = after_response.AfterResponseMiddleware(view)(RequestFactory().get("/"))
    assert ran == [] and response.content == b"done"
    response.close()
    assert ran == ["first", "third"] and "Work after the response failed" in caplog.text
    # Outside a request, the work runs at once.
    after_response.after_response(lambda: ran.append("now"))
    assert ran[-1] == "now"


@pytest.mark.django_db(transaction=True)
def test_a_server_dying_after_the_response_leaves_an_order_the_page_can_still_seal_once(
    client, buyer, listing, monkeypatch
):
    """The deferred sealing is lost (the process dies after sending the response). Once the queued mark
    runs out, the order page offers to issue the contract; issuing it, and the lost job turning up late
    after all, make one contract, not two."""
    enterprise, owner = buyer
    lost = []
    monkeypatch.setattr(after_response, "_run", lost.append)
    client.force_login(owner)
    client.post(reverse("cart-add", kwargs={"pk": listing.pk}), {"next": "checkout"})
    client.post(reverse("direct-checkout"), {"enterprise": enterprise.pk, "project_name": "Plant C"})
    monkeypatch.undo()
    so = ServiceOrder.objects.get()
    cache.delete(tasks.contract_queued_key(so.pk))  # the mark's two minutes have passed
    page = client.get(so.get_absolute_url()).content.decode()
    assert "data-contract-arriving" not in page and "order-contract__retry" in page
    client.post(reverse("hiring:contract", args=[so.pk, "issue"]))
    for jobs in lost:  # the lost job runs after all (a worker that came back)
        after_response._run(jobs)
    assert Contract.objects.filter(service_order=so).count() == 1
