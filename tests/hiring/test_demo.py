"""The hiring demo: every selection method open and closed, a revealed draw, every order status,
about 200 ratings; a second run creates nothing."""

import pytest
from django.core import mail
from django.core.management import call_command
from oscar.apps.order.models import Order

from marketplace.hiring.models import Status
from marketplace.procurement import selection
from marketplace.procurement.models import Method, RequestForQuotes
from marketplace.ratings.models import Rating

pytestmark = pytest.mark.django_db


def test_load_demo_builds_hiring_data_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", quiet_logins=True)
    assert not mail.outbox  # demo data is history, nobody is notified
    for method in Method.values:
        statuses = set(RequestForQuotes.objects.filter(method=method).values_list("status", flat=True))
        assert "open" in statuses and statuses - {"open"}, method
    draw = RequestForQuotes.objects.filter(method="random_draw", seed_revealed_at__isnull=False).get()
    assert selection.commitment_for(draw.seed) == draw.seed_commitment
    assert draw.quotes.count() >= 2
    assert set(Order.objects.values_list("status", flat=True)) == set(Status.values)
    assert 190 <= Rating.objects.count() <= 220
    counts = (RequestForQuotes.objects.count(), Order.objects.count(), Rating.objects.count())
    call_command("load_demo", quiet_logins=True)
    assert (RequestForQuotes.objects.count(), Order.objects.count(), Rating.objects.count()) == counts
