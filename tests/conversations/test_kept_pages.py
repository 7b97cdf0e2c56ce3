"""Order pages kept in the page cache depend on their own order's thread, not on every message written
anywhere (marketplace/core/table_versions.py, "narrower sources"), and a message written without the
conversation services still retires them.

The tests commit for real (``transactional_db``): a page is retired when a write commits.
"""

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.conversations.models import Message
from marketplace.core.page_cache import CACHE_HEADER
from tests.factories import make_service_order, pay, provider_owner

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("page_cache_on")]


@pytest.fixture
def orders(buyer, providers, category):
    enterprise, owner = buyer
    made = [make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], category=category)]
    made.append(make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], category=category))
    for order in made:
        pay(order)
    return made


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def kept(client, order) -> bool:
    return client.get(order.get_absolute_url()).get(CACHE_HEADER) == "hit"


def keep(client, order) -> None:
    """Make the order's page once: it is kept from its first render (its thread's source is read as
    the thread is, not only on a second visit)."""
    assert client.get(order.get_absolute_url()).get(CACHE_HEADER) == "miss"


def test_a_message_retires_its_own_orders_page_and_keeps_the_others(orders):
    """The provider writes on one order: their page of the other order stays kept. (The buyer's
    pages are all retired: the message notifies them, and their header's count changes.)"""
    first, second = orders
    client = signed_in(provider_owner(first.provider))
    for order in orders:
        keep(client, order)
        assert kept(client, order)
    posted = client.post(reverse("hiring:message-post", args=[first.pk]), {"body": "Site visit on Monday?"})
    assert posted.status_code == 302
    page = client.get(first.get_absolute_url())
    assert page.get(CACHE_HEADER) != "hit" and "Site visit on Monday?" in page.content.decode()
    assert kept(client, second)


def test_a_message_written_past_the_services_still_retires_every_thread(orders, buyer):
    """A writer that does not know of the narrowing (a data fix, an admin action) retires the whole
    family: slower, never stale."""
    first, second = orders
    _enterprise, owner = buyer
    client = signed_in(owner)
    for order in orders:
        keep(client, order)
    Message.objects.create(service_order=second, author=owner, side=Message.Side.BUYER, body="Written directly")
    page = client.get(second.get_absolute_url())
    assert page.get(CACHE_HEADER) != "hit" and "Written directly" in page.content.decode()
    assert client.get(first.get_absolute_url()).get(CACHE_HEADER) != "hit"


def test_the_other_side_reading_the_thread_updates_a_kept_page(orders, buyer):
    """Read receipts: the provider opening the order writes their reading, and the buyer's kept page,
    which says whether the provider has read the buyer's message, is retired."""
    first, _second = orders
    _enterprise, owner = buyer
    buyer_client = signed_in(owner)
    buyer_client.post(reverse("hiring:message-post", args=[first.pk]), {"body": "Report due Friday."})
    keep(buyer_client, first)
    before = buyer_client.get(first.get_absolute_url())
    assert before.get(CACHE_HEADER) == "hit"
    signed_in(provider_owner(first.provider)).get(first.get_absolute_url())  # reads it
    after = buyer_client.get(first.get_absolute_url())
    assert after.get(CACHE_HEADER) != "hit"
    assert after.content != before.content


def test_a_reading_recorded_outside_a_request_retires_only_its_own_thread(orders, buyer):
    """A task or a command (no request, autocommit) recording that someone read a thread retires
    that order's pages, after the write, and keeps the other order's."""
    from marketplace.conversations import services

    first, second = orders
    _enterprise, owner = buyer
    provider_user = provider_owner(first.provider)
    Message.objects.create(service_order=first, author=owner, side=Message.Side.BUYER, body="Report due Friday.")
    client = signed_in(owner)
    for order in orders:
        keep(client, order)
    services.thread_mark_read(service_order=first, user=provider_user)
    assert "Read by the other party" in client.get(first.get_absolute_url()).content.decode()
    assert kept(client, second)
