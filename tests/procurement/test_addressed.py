"""A request addressed to one provider, from its "from" or quote-only listing: only that provider
quotes, its quote opens the request at once, and the buyer's acceptance places the order."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from marketplace.core.models import ConflictAttempt
from marketplace.hiring.models import ServiceOrder
from marketplace.procurement import services
from marketplace.procurement.models import RequestForQuotes
from providers.models import ProviderMember
from tests.factories import make_addressed_request, make_listing, make_quote, provider_owner

R = RequestForQuotes.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def from_listing(category, providers):
    return make_listing(providers[0], category, price=Decimal("68000"), pricing_mode="from", title="EIA report")


def ask(client, enterprise, listing, **overrides):
    deadline = (timezone.localtime() + datetime.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "listing": listing.pk,
        "enterprise": enterprise.pk,
        "title": "EIA for the new plant",
        "description": "A 2,000 m² workshop in Daxing.",
        "region": "110000",
        "budget": "90000",
        "deadline": deadline,
        **overrides,
    }
    return client.post(reverse("procurement:create"), data)


def test_the_buyer_asks_the_provider_who_alone_quotes_and_acceptance_places_the_order(
    client, buyer, from_listing, providers, django_capture_on_commit_callbacks
):
    enterprise, owner = buyer
    client.force_login(owner)
    form = client.get(reverse("procurement:create"), {"listing": from_listing.pk}).content.decode()
    assert providers[0].name in form and 'name="method"' not in form and 'name="state_funded"' not in form
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, enterprise, from_listing)
    request = RequestForQuotes.objects.get()
    assert response.status_code == 302 and response.url == request.get_absolute_url()
    assert (request.invited_provider, request.listing, request.method) == (
        providers[0],
        from_listing,
        "direct",
    )
    assert any(provider_owner(providers[0]).email in m.to for m in mail.outbox)
    # Not on the public list; on the provider's own page.
    assert request.title not in client.get(reverse("procurement:list")).content.decode()
    client.force_login(provider_owner(providers[0]))
    assert request.title in client.get(reverse("procurement:my-quotes")).content.decode()

    with pytest.raises(services.NotPermitted, match="addressed to another provider"):
        make_quote(request, providers[1], price="70000")
    make_quote(request, providers[0], price="72000", days=25)
    request.refresh_from_db()
    assert request.status == R.CHOOSING  # opened at once, long before the deadline

    client.force_login(owner)
    quote = request.quotes.get()
    page = client.get(request.get_absolute_url()).content.decode()
    assert "Accept the quote of ¥72000.00" in page
    response = client.post(reverse("procurement:choose", args=[request.pk]), {"quote": quote.pk})
    so = ServiceOrder.objects.get()
    assert response.status_code == 302 and response.url == so.get_absolute_url()
    assert (so.provider, so.price, so.service_days, so.request) == (providers[0], Decimal("72000.00"), 25, request)
    request.refresh_from_db()
    assert request.status == R.AWARDED


def test_a_fixed_price_listing_is_hired_directly_not_asked(client, buyer, category, providers):
    enterprise, owner = buyer
    fixed = make_listing(providers[0], category, price=Decimal("48000"))
    client.force_login(owner)
    response = client.get(reverse("procurement:create"), {"listing": fixed.pk}, follow=True)
    assert "can no longer be asked for a quote" in response.content.decode()
    assert ask(client, enterprise, fixed).status_code == 302 and not RequestForQuotes.objects.exists()


def test_a_buyer_who_belongs_to_the_provider_cannot_ask_it(client, buyer, from_listing, providers):
    enterprise, owner = buyer
    ProviderMember.objects.create(provider=providers[0], user=owner, role=ProviderMember.Role.MEMBER)
    client.force_login(owner)
    response = ask(client, enterprise, from_listing)
    assert response.status_code == 200 and "both" in response.content.decode()
    assert not RequestForQuotes.objects.exists()
    assert ConflictAttempt.objects.get().act == "order"


def test_unanswered_it_is_extended_once_then_fails(buyer, from_listing):
    enterprise, owner = buyer
    request = make_addressed_request(enterprise, owner, from_listing)
    after = request.deadline + datetime.timedelta(minutes=1)
    assert services.request_close(request=request, now=after).status == R.OPEN
    request.refresh_from_db()
    request = services.request_close(request=request, now=request.deadline + datetime.timedelta(minutes=1))
    assert (request.status, request.status_reason) == (R.FAILED, "too_few_quotes")


def test_the_database_refuses_an_addressed_request_under_a_competitive_method(buyer, from_listing, providers):
    enterprise, owner = buyer
    request = make_addressed_request(enterprise, owner, from_listing)
    with pytest.raises(IntegrityError), transaction.atomic():
        RequestForQuotes.objects.filter(pk=request.pk).update(method="lowest_price")
