"""The provider's public profile (credit's page): the provider's facts, its ratings, its track
record and its grade, at the address and name it always had (``providers:profile``)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.credit import selectors
from tests.factories import (
    make_buyer,
    make_certified_provider,
    make_listing,
    make_provider,
    make_quote,
    make_request,
)
from tests.factories.credit import completed_order, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def eia(catalogue):
    return catalogue.get(code="eia")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_profile_keeps_its_address_and_name(eia):
    provider = make_certified_provider(categories=[eia])
    assert provider.get_absolute_url() == f"/providers/{provider.pk}/"
    assert reverse("providers:profile", kwargs={"pk": provider.pk}) == provider.get_absolute_url()


def test_public_profile_shows_certification_qualifications_and_listings(client, eia):
    provider = make_certified_provider(categories=[eia])
    make_listing(provider, eia)
    html = client.get(provider.get_absolute_url()).content.decode()
    for text in ("Certified", provider.credit_code, "Environmental impact report", "Member since", "No ratings yet"):
        assert text in html
    html = client.get("/zh-hans" + provider.get_absolute_url()).content.decode()
    assert provider.name_zh in html


def test_draft_provider_has_no_public_profile_but_its_team_can_preview(client):
    provider = make_provider()
    assert client.get(provider.get_absolute_url()).status_code == 404
    client.force_login(provider.memberships.get().user)
    assert client.get(provider.get_absolute_url()).status_code == 200


def test_unknown_provider_is_404(client):
    assert client.get(reverse("providers:profile", kwargs={"pk": 999999})).status_code == 404


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements(client, url) -> int:
    """SQL statements the page runs, transaction control left out."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return sum(1 for query in context.captured_queries if not query["sql"].upper().startswith(TRANSACTION_CONTROL))


def test_provider_profile_query_count_is_flat(client, eia):
    provider = make_certified_provider(categories=[eia])
    make_listing(provider, eia)
    make_listing(provider, eia)
    few = count_queries(client, provider.get_absolute_url())
    for i in range(8):
        make_listing(provider, eia, title=f"More {i}")
    assert count_queries(client, provider.get_absolute_url()) == few


def test_provider_profile_runs_ten_statements_whatever_the_providers_history(client, eia):
    """The provider; its listings and their stock records, categories and attributes (their ratings
    read in the same query); its rating summary with the latest ratings; its quotes' response
    times; its completed and on-time orders; a ban in force; its qualifications. None per listing,
    rating, order or quote."""
    buyer = make_buyer()
    provider = make_certified_provider(categories=[eia])
    make_listing(provider, eia)
    rate(completed_order(buyer, provider), buyer, 4)
    make_quote(make_request(enterprise=buyer[0], user=buyer[1], category=eia), provider)
    url = provider.get_absolute_url()
    assert statements(client, url) <= 10
    few = statements(client, url)
    for i in range(3):
        make_listing(provider, eia, title=f"More {i}")
        rate(completed_order(buyer, provider, late=i == 0), buyer, 3 + i)
        make_quote(make_request(enterprise=buyer[0], user=buyer[1], category=eia), provider)
    assert statements(client, url) == few


def test_track_record_counts_completed_orders_on_time_share_and_median_response(client, eia):
    """Moved from ratings (it reads hiring and procurement): the figures the profile shows."""
    buyer = make_buyer()
    provider = make_certified_provider(categories=[eia])
    empty = selectors.provider_track_record(provider=provider)
    assert (empty.completed, empty.on_time_rate, empty.median_response_hours) == (0, None, None)
    completed_order(buyer, provider)
    completed_order(buyer, provider, late=True)
    for hours in (1, 3, 8):
        request = make_request(enterprise=buyer[0], user=buyer[1], category=eia)
        make_quote(request, provider, now=request.published_at + datetime.timedelta(hours=hours))
    record = selectors.provider_track_record(provider=provider)
    assert (record.completed, record.on_time_rate) == (2, 50)
    # The profile's one read of orders agrees with the rate listings are compared by.
    assert selectors.on_time_rates(provider_ids=[provider.pk]) == {provider.pk: record.on_time_rate}
    assert str(record.median_response_hours) == "3.0"
    html = client.get(provider.get_absolute_url()).content.decode()
    assert "50%" in html and "3.0 hours" in html
