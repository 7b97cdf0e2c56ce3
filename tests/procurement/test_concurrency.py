"""Race safety with real concurrent transactions (PostgreSQL only: SQLite locks the whole file)."""

import datetime
import threading
import time

import pytest
from django.db import transaction

from marketplace.procurement import services
from marketplace.procurement.models import RequestForQuotes, Selection
from tests.concurrency import POSTGRES_ONLY, in_thread
from tests.factories import make_buyer, make_certified_provider, make_quote, make_request, provider_owner, staff_user

pytestmark = POSTGRES_ONLY


@pytest.fixture
def setup(catalogue):
    category = catalogue.get(code="eia")
    reviewer = staff_user()
    providers = [make_certified_provider(categories=[category], reviewer=reviewer) for _ in range(2)]
    enterprise, owner = make_buyer()
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="100")
    return request, providers


def test_two_concurrent_closers_select_once(setup):
    request, _providers = setup
    after = request.deadline + datetime.timedelta(minutes=1)
    barrier = threading.Barrier(2)
    results = {}

    def close():
        barrier.wait()
        return services.request_close(request=RequestForQuotes(pk=request.pk), now=after).status

    threads = [in_thread(close, results, n) for n in range(2)]
    for thread in threads:
        thread.join(30)
    assert results == {0: "publicity", 1: "publicity"}
    assert Selection.objects.filter(request=request).count() == 1


def test_a_quote_racing_the_closer_waits_for_it_and_is_refused(setup):
    request, providers = setup
    after = request.deadline + datetime.timedelta(minutes=1)
    closer_has_lock = threading.Event()
    results = {}

    def slow_close():
        with transaction.atomic():
            services.request_close(request=RequestForQuotes(pk=request.pk), now=after)
            closer_has_lock.set()
            time.sleep(1.0)  # hold the row lock while the quote arrives
        return "closed"

    def late_quote():
        closer_has_lock.wait(10)
        # The provider's clock says "just before the deadline": only the lock decides.
        return services.quote_submit(
            request=RequestForQuotes(pk=request.pk),
            user=provider_owner(providers[1]),
            price="50",
            service_days=5,
            now=request.deadline - datetime.timedelta(seconds=1),
        )

    threads = [in_thread(slow_close, results, "close"), in_thread(late_quote, results, "quote")]
    for thread in threads:
        thread.join(30)
    assert results["close"] == "closed"
    assert isinstance(results["quote"], services.TransitionNotAllowed)
    assert request.quotes.count() == 1


def test_two_concurrent_awards_create_one_order(setup):
    request, _providers = setup
    services.request_close(request=request, now=request.deadline + datetime.timedelta(minutes=1))
    later = request.deadline + datetime.timedelta(days=10)
    barrier = threading.Barrier(2)
    results = {}

    def award():
        barrier.wait()
        return services.request_award(request=RequestForQuotes(pk=request.pk), now=later)

    threads = [in_thread(award, results, n) for n in range(2)]
    for thread in threads:
        thread.join(30)
    assert sum(1 for value in results.values() if value is not None and not isinstance(value, Exception)) == 1
    assert not any(isinstance(value, Exception) for value in results.values())
