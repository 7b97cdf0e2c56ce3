"""The staff watch lists' selectors, each against a hand-built fixture with known answers."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.procurement import services as procurement
from marketplace.transparency import oversight
from providers import services as provider_services
from tests.factories import (
    make_buyer,
    make_certified_provider,
    make_listing,
    make_quote,
    make_request,
    make_service_order,
    provider_owner,
    staff_user,
)
from tests.factories.oversight import (
    approved_qualification,
    completed_order,
    days_ago,
    delivered_order,
    move,
    paid_order,
    rated_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(db):
    return make_buyer(name="Acme Steel", name_zh="顶峰钢铁")


@pytest.fixture
def reviewer(db):
    return staff_user()


@pytest.fixture
def provider(category, reviewer):
    return make_certified_provider(categories=[category], reviewer=reviewer, name="Prompt Surveys")


# --- overdue orders ------------------------------------------------------------------------------


def test_an_undelivered_order_past_its_deadline_is_overdue_by_whole_days(buyer, provider, category):
    now = timezone.now()
    late = move(paid_order(buyer, provider, category=category), due_at=now - datetime.timedelta(days=5, hours=3))
    move(paid_order(buyer, provider), due_at=now + datetime.timedelta(days=2))  # still has time

    rows = list(oversight.overdue_orders(now=now))

    assert rows == [late]
    assert oversight.days_overdue(rows[0], now=now) == 5
    assert rows[0].category == category and rows[0].enterprise == buyer[0]


def test_deliveries_in_time_late_deliveries_and_cancellations_leave_the_list(buyer, provider):
    """Only orders whose clock is still running are listed; a late delivery is history, not a task."""
    now = timezone.now()
    on_time = delivered_order(buyer, provider)
    move(on_time, due_at=now - datetime.timedelta(days=1), delivered_at=now - datetime.timedelta(days=2))
    delivered_late = delivered_order(buyer, provider)
    move(delivered_late, due_at=now - datetime.timedelta(days=3))
    completed_order(buyer, provider, delivered_at=days_ago(1), due_at=days_ago(4))
    cancelled = make_service_order(enterprise=buyer[0], buyer=buyer[1], provider=provider)
    hiring.service_order_cancel(service_order=cancelled, user=buyer[1], reason="Project shelved.")
    move(cancelled, due_at=now - datetime.timedelta(days=3))
    refunded = paid_order(buyer, provider)
    dispute = hiring.dispute_open(service_order=refunded, user=buyer[1], reason="Never started.")
    hiring.dispute_resolve(dispute=dispute, user=staff_user(), outcome="refund", decision="Refund in full.")
    move(refunded, due_at=now - datetime.timedelta(days=3))

    assert list(oversight.overdue_orders(now=now)) == []
    # is_overdue still says the late deliveries were late; the watch list only drops them.
    assert ServiceOrder.objects.get(pk=delivered_late.pk).is_overdue(now=now)


def test_revision_and_dispute_keep_the_clock_running(buyer, provider):
    now = timezone.now()
    revision = delivered_order(buyer, provider)
    hiring.service_order_request_revision(service_order=revision, user=buyer[1], reason="Missing annex.")
    move(revision, due_at=now - datetime.timedelta(days=2))
    disputed = paid_order(buyer, provider)
    hiring.dispute_open(service_order=disputed, user=buyer[1], reason="No contact for weeks.")
    move(disputed, due_at=now - datetime.timedelta(days=9))

    assert list(oversight.overdue_orders(now=now)) == [disputed, revision]  # most overdue first


def test_the_query_agrees_with_is_overdue_for_every_open_order(buyer, provider):
    """Row by row: listed exactly when ``is_overdue`` holds and no delivery stands."""
    now = timezone.now()
    orders = [
        move(paid_order(buyer, provider), due_at=now - datetime.timedelta(days=1)),
        move(paid_order(buyer, provider), due_at=now + datetime.timedelta(days=1)),
        move(delivered_order(buyer, provider), due_at=now - datetime.timedelta(days=1)),
        completed_order(buyer, provider, delivered_at=days_ago(2), due_at=days_ago(1)),
    ]
    listed = set(oversight.overdue_orders(now=now).values_list("pk", flat=True))
    for service_order in ServiceOrder.objects.filter(pk__in=[o.pk for o in orders]).select_related("order"):
        standing_delivery = service_order.delivered_at is not None and service_order.status in (
            "delivered",
            "completed",
        )
        assert (service_order.pk in listed) == (service_order.is_overdue(now=now) and not standing_delivery)
    assert listed == {orders[0].pk}


# --- providers below a threshold -----------------------------------------------------------------


@pytest.fixture
def thresholds(settings):
    settings.OVERSIGHT_WINDOW_DAYS = 90
    settings.OVERSIGHT_MIN_RATING = 3.5
    settings.OVERSIGHT_MIN_ON_TIME_RATE = 0.8
    settings.OVERSIGHT_MIN_SAMPLE = 3
    return settings


def make_providers(category, reviewer, *names):
    return [make_certified_provider(categories=[category], reviewer=reviewer, name=name) for name in names]


def test_a_provider_whose_window_rating_fell_below_the_threshold_is_flagged(thresholds, buyer, category, reviewer):
    fell, steady, few = make_providers(category, reviewer, "Fell", "Steady", "Few")
    for stars in (5, 5, 4):  # previous window: 4.67
        rated_order(buyer, fell, stars=stars, at=days_ago(120))
    for stars in (3, 3, 4):  # this window: 3.33 < 3.5
        rated_order(buyer, fell, stars=stars, at=days_ago(10))
    for stars in (4, 4, 3):  # 3.67: above
        rated_order(buyer, steady, stars=stars, at=days_ago(10))
    for stars in (1, 2):  # 1.5, but only two ratings
        rated_order(buyer, few, stars=stars, at=days_ago(10))

    rows = list(oversight.providers_below_threshold())

    assert rows == [fell]
    row = rows[0]
    assert row.rating_breached and not row.on_time_breached
    assert (round(row.current_rating, 2), row.current_ratings) == (Decimal("3.33"), 3)
    assert (round(row.previous_rating, 2), row.previous_ratings) == (Decimal("4.67"), 3)
    assert row.current_on_time_rate == 1.0 and row.current_timed == 3


def test_a_provider_whose_on_time_rate_fell_is_flagged_and_compared(thresholds, buyer, category, reviewer):
    late, punctual, small = make_providers(category, reviewer, "Late", "Punctual", "Small")
    for lateness in (-1, -1, -1, -1):  # previous window: 4 of 4 on time
        completed_order(buyer, late, delivered_at=days_ago(100), due_at=days_ago(100 + lateness))
    for lateness in (-1, -1, 2, 3):  # this window: 2 of 4 on time
        completed_order(buyer, late, delivered_at=days_ago(20), due_at=days_ago(20 + lateness))
    for lateness in (-1, -1, -1, -1, 2):  # 4 of 5 = 80%: at the threshold, not under it
        completed_order(buyer, punctual, delivered_at=days_ago(20), due_at=days_ago(20 + lateness))
    for lateness in (3, 3):  # 0 of 2: under the minimum sample
        completed_order(buyer, small, delivered_at=days_ago(20), due_at=days_ago(20 + lateness))

    rows = list(oversight.providers_below_threshold())

    assert rows == [late]
    assert rows[0].on_time_breached and not rows[0].rating_breached
    assert (rows[0].current_on_time_rate, rows[0].current_timed) == (0.5, 4)
    assert (rows[0].previous_on_time_rate, rows[0].previous_timed) == (1.0, 4)
    assert rows[0].current_rating is None


def test_only_certified_providers_are_watched(thresholds, buyer, category, reviewer):
    """A suspended provider has already been acted on; it leaves the list."""
    (poor,) = make_providers(category, reviewer, "Poor")
    for stars in (2, 2, 2):
        rated_order(buyer, poor, stars=stars, at=days_ago(5))
    assert list(oversight.providers_below_threshold()) == [poor]
    provider_services.provider_suspend(provider=poor, reviewer=reviewer, reason="Ratings collapsed.")
    assert list(oversight.providers_below_threshold()) == []


# --- qualifications ------------------------------------------------------------------------------


def test_qualifications_expiring_within_the_horizon_are_listed_soonest_first(settings, provider, catalogue, reviewer):
    settings.OVERSIGHT_EXPIRY_DAYS = 30
    surveying, legal = catalogue.get(code="surveying"), catalogue.get(code="legal")
    in_ten = approved_qualification(provider, surveying, days=10, reviewer=reviewer)
    today = approved_qualification(provider, legal, days=0, reviewer=reviewer)
    approved_qualification(provider, surveying, days=60, reviewer=reviewer)
    make_listing(provider, surveying)

    rows = list(oversight.expiring_qualifications())

    assert rows == [today, in_ten]
    assert [oversight.days_left(q) for q in rows] == [0, 10]
    assert [q.published_listings for q in rows] == [0, 1]


def test_lapsed_qualifications_behind_published_listings_are_listed_unless_renewed(provider, catalogue, reviewer):
    surveying, legal = catalogue.get(code="surveying"), catalogue.get(code="legal")
    lapsed = approved_qualification(provider, surveying, days=100, reviewer=reviewer)
    make_listing(provider, surveying)
    make_listing(provider, surveying, title="Topographic survey")
    make_listing(provider, surveying, title="Draft survey", published=False)
    no_listing = approved_qualification(provider, legal, days=100, reviewer=reviewer)
    today = timezone.localdate()
    for qualification in (lapsed, no_listing):
        move(
            qualification,
            valid_from=today - datetime.timedelta(days=400),
            valid_until=today - datetime.timedelta(days=4),
        )
    provider_services.qualification_expire_due()  # the nightly job marks both expired

    rows = list(oversight.expired_qualifications_with_listings())

    assert rows == [lapsed]
    assert rows[0].status == "expired" and rows[0].published_listings == 2
    assert oversight.days_left(rows[0]) == -4
    approved_qualification(provider, surveying, days=365, reviewer=reviewer)  # renewed
    assert list(oversight.expired_qualifications_with_listings()) == []


# --- objections and disputes ---------------------------------------------------------------------


def test_open_disputes_show_their_age_and_resolved_ones_leave(buyer, provider, reviewer):
    now = timezone.now()
    old = hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="Silent provider.")
    move(old, created_at=now - datetime.timedelta(days=6, hours=1))
    recent = hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="Wrong site.")
    move(recent, created_at=now - datetime.timedelta(hours=20))
    resolved = hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="Settled.")
    hiring.dispute_resolve(dispute=resolved, user=reviewer, outcome="refund", decision="Refund in full.")

    rows = list(oversight.open_disputes())

    assert rows == [old, recent]
    assert [oversight.age_in_days(d.created_at, now=now) for d in rows] == [6, 0]


def test_pending_objections_are_listed_oldest_first_and_decided_ones_leave(buyer, category, reviewer):
    providers = make_providers(category, reviewer, "Winner", "Second", "Third")
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    for n, quoter in enumerate(providers):
        make_quote(request, quoter, price=str(100 * (n + 1)))
    later = timezone.now() + datetime.timedelta(hours=50)
    procurement.request_close(request=request, now=later)
    first = procurement.objection_file(request=request, user=provider_owner(providers[1]), reason="Forged.", now=later)
    second = procurement.objection_file(request=request, user=provider_owner(providers[2]), reason="Late.", now=later)
    move(first, created_at=timezone.now() - datetime.timedelta(days=3))
    move(second, created_at=timezone.now() - datetime.timedelta(days=1))

    assert list(oversight.open_objections()) == [first, second]
    assert oversight.age_in_days(first.created_at) == 3
    procurement.objection_decide(objection=first, user=reviewer, uphold=False, decision="Unfounded.")
    assert list(oversight.open_objections()) == [second]


def test_overview_counts_every_list(buyer, provider):
    move(paid_order(buyer, provider), due_at=days_ago(1))
    hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="No answer.")

    counts = oversight.overview_counts()

    assert counts == {
        "overdue": 1,
        "providers": 0,
        "expiring": 0,
        "expired": 0,
        "objections": 0,
        "disputes": 1,
        "invoices": 0,
    }


def test_counting_together_gives_each_querysets_own_count_in_one_query(
    buyer, provider, catalogue, django_assert_num_queries
):
    move(paid_order(buyer, provider), due_at=days_ago(1))
    hiring.dispute_open(service_order=paid_order(buyer, provider), user=buyer[1], reason="No answer.")
    approved_qualification(provider, catalogue.get(code="surveying"), days=5)
    querysets = {
        **oversight.overview_querysets(),
        "orders": ServiceOrder.objects.all(),  # more than one row each, with joins and subqueries above
        "none": ServiceOrder.objects.none(),  # Django compiles no SQL for these: counted as 0
        "empty_in": ServiceOrder.objects.filter(pk__in=[]),
    }
    expected = {name: queryset.count() for name, queryset in querysets.items()}
    assert expected["orders"] == 2 and expected["overdue"] == expected["disputes"] == expected["expiring"] == 1

    with django_assert_num_queries(1):
        assert oversight.count_together(querysets) == expected
    assert oversight.count_together({}) == {}
