"""A long conversation on an order's page: its recent entries, reaching back to everything new to the
reader, and a link to the whole thread (``?thread=all``), so the page costs what a short thread's does
to make and nothing the reader has not seen is hidden (conversations/selectors.py, ``recent``)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.conversations.models import Message, ThreadRead
from marketplace.conversations.selectors import THREAD_WINDOW
from tests.factories import make_service_order, pay, provider_owner

pytestmark = pytest.mark.django_db

MESSAGES = THREAD_WINDOW + 15


@pytest.fixture
def order(buyer, providers, category):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], category=category)
    pay(so)
    start = timezone.now() - datetime.timedelta(hours=1)  # before the order's events (paid), made just now
    Message.objects.bulk_create(
        Message(
            service_order=so,
            author=owner,
            side=Message.Side.BUYER,
            body=f"Question number {n}",
            created_at=start + datetime.timedelta(seconds=n),
        )
        for n in range(1, MESSAGES + 1)
    )
    return so


def shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="message__body">Question number (\d+)<', html)]


def recent(order) -> tuple[list[int], int]:
    """The messages the window shows (the order's events, all newer, take their places at its end)
    and how many entries it leaves out."""
    events = order.events.count()
    first = MESSAGES - (THREAD_WINDOW - events) + 1
    return list(range(first, MESSAGES + 1)), first - 1


def test_a_long_thread_shows_its_recent_entries_and_links_to_the_rest(client, order, buyer):
    _enterprise, owner = buyer
    client.force_login(owner)  # the writer: nothing in the thread is new to them
    page = client.get(order.get_absolute_url()).content.decode()
    messages, earlier = recent(order)
    assert shown(page) == messages and earlier >= 15
    link = f'href="{order.get_absolute_url()}?thread=all#conversation">Show all {earlier} earlier entries</a>'
    assert link in page
    # its polling keeps to the entries the page opened with
    assert f'data-thread-url="{reverse("hiring:thread", args=[order.pk])}?from={earlier}"' in page

    whole = client.get(f"{order.get_absolute_url()}?thread=all").content.decode()
    assert shown(whole) == list(range(1, MESSAGES + 1))
    assert "earlier entries" not in whole
    # its polling keeps showing the whole thread
    assert f'data-thread-url="{reverse("hiring:thread", args=[order.pk])}?thread=all"' in whole


def test_everything_new_to_the_reader_is_shown_however_far_back(client, order, providers):
    provider_user = provider_owner(providers[0])
    client.force_login(provider_user)  # has never read the thread: all of it is new
    page = client.get(order.get_absolute_url()).content.decode()
    assert shown(page) == list(range(1, MESSAGES + 1)) and "earlier entr" not in page
    assert ThreadRead.objects.filter(service_order=order, user=provider_user).exists()  # and it counts as read

    # the page's polling keeps showing what the page opened with, though none of it is new any more
    assert f'data-thread-url="{reverse("hiring:thread", args=[order.pk])}?from=0"' in page
    polled = client.get(reverse("hiring:thread", args=[order.pk]) + "?from=0").content.decode()
    assert shown(polled) == list(range(1, MESSAGES + 1))

    # once read, the next visit shows the recent window again
    again = client.get(order.get_absolute_url()).content.decode()
    assert shown(again) == recent(order)[0]


def test_the_polled_thread_keeps_the_window_and_the_whole_thread_on_request(client, order, buyer):
    _enterprise, owner = buyer
    client.force_login(owner)
    fragment = client.get(reverse("hiring:thread", args=[order.pk])).content.decode()
    assert shown(fragment) == recent(order)[0]
    assert "?thread=all#conversation" in fragment
    whole = client.get(reverse("hiring:thread", args=[order.pk]) + "?thread=all").content.decode()
    assert shown(whole) == list(range(1, MESSAGES + 1))
    for garbage in ("-3", "abc", "1e9"):  # a mangled address: the recent entries, no error
        response = client.get(reverse("hiring:thread", args=[order.pk]) + f"?from={garbage}")
        assert response.status_code == 200 and shown(response.content.decode()) == recent(order)[0]


def test_the_link_reads_in_chinese(client, order, buyer):
    _enterprise, owner = buyer
    client.force_login(owner)
    page = client.get(f"/zh-hans{order.get_absolute_url()}").content.decode()
    assert f"显示更早的全部 {recent(order)[1]} 条记录" in page


def test_a_short_thread_has_no_link(client, buyer, providers, category):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], category=category)
    client.force_login(owner)
    page = client.get(so.get_absolute_url()).content.decode()
    assert 'id="conversation"' in page and "earlier entr" not in page
