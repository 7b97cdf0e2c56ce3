"""The index follows the providers' workflow: a listing is findable only while it is purchasable."""

import pytest

from providers import services as provider_services
from providers.models import Provider
from search.backends import get_backend
from search.query import SearchQuery
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


def found_ids() -> set[int]:
    return {hit.document.listing_id for hit in get_backend().search(SearchQuery()).hits}


def test_suspending_a_provider_removes_its_listings_and_reinstating_returns_them(
    backend_name, listing, django_capture_on_commit_callbacks
):
    product = listing(title="Environmental impact report", partner_name="Qinchuan Environmental Consulting")
    other = listing(title="Topographic survey", category="surveying", partner_name="Another Surveyor")
    assert found_ids() == {product.pk, other.pk}

    provider = Provider.objects.get(name="Qinchuan Environmental Consulting")
    reviewer = staff_user()
    with django_capture_on_commit_callbacks(execute=True):
        provider_services.provider_suspend(provider=provider, reviewer=reviewer, reason="Complaint under review")
    assert found_ids() == {other.pk}

    with django_capture_on_commit_callbacks(execute=True):
        provider_services.provider_reinstate(provider=provider, reviewer=reviewer)
    assert found_ids() == {product.pk, other.pk}


def test_an_unpublished_listing_leaves_the_index(backend_name, listing, django_capture_on_commit_callbacks):
    product = listing(title="Environmental impact report")
    provider = Provider.objects.get(name="Qinchuan Environmental Consulting")
    owner = provider.memberships.first().user
    with django_capture_on_commit_callbacks(execute=True):
        provider_services.listing_set_published(provider=provider, user=owner, listing=product, published=False)
    assert product.pk not in found_ids()
