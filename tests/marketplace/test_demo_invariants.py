"""The demo data tells one consistent story: nothing that already happened is dated in the future,
every record's steps come in order, a completed order is never "overdue", and a provider's submission
date is the same wherever it is shown."""

import datetime

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from marketplace.hiring.models import Contract, Dispute, OrderEvent, ServiceOrder, Status
from marketplace.ratings.models import Rating
from marketplace.transparency import oversight
from providers.models import Provider, ProviderEvent

OUR_APPS = ("marketplace", "providers", "signing", "search", "translog")
# Fields that name a time ahead by design: deadlines, validity ends, publicity periods.
FORWARD_LOOKING = {"deadline", "due_at", "publicity_ends_at", "not_after", "valid_until", "period_end", "expires_at"}
SECOND = datetime.timedelta(seconds=1)


def past_fields():
    for model in apps.get_models():
        if not model.__module__.startswith(OUR_APPS):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.DateField) and field.concrete and field.name not in FORWARD_LOOKING:
                yield model, field


@pytest.mark.django_db
def test_the_demo_data_is_consistent_in_time_and_status():
    """One load of the demo (a minute), every invariant checked on it."""
    call_command("load_demo", quiet_logins=True)
    nothing_that_happened_is_dated_in_the_future()
    each_orders_steps_come_in_order_and_a_completed_order_is_never_overdue()
    a_providers_submission_date_is_the_same_everywhere()


def nothing_that_happened_is_dated_in_the_future():
    now = timezone.now() + SECOND
    future = []
    for model, field in past_fields():
        limit = now if isinstance(field, models.DateTimeField) else timezone.localdate(now)
        count = model.objects.filter(**{f"{field.name}__gt": limit}).count()
        if count:
            future.append(f"{model.__name__}.{field.name}: {count}")
    assert not future, future


def each_orders_steps_come_in_order_and_a_completed_order_is_never_overdue():
    orders = list(ServiceOrder.objects.select_related("order"))
    assert len(orders) > 100
    for so in orders:
        steps = [t for t in (so.created_at, so.paid_at, so.delivered_at, so.accepted_at) if t is not None]
        assert steps == sorted(steps), so.order.number
        if so.order.status == Status.COMPLETED:
            assert so.lateness() != "overdue", so.order.number
    overdue = {so.pk for so in oversight.overdue_orders()}
    assert not ServiceOrder.objects.filter(pk__in=overdue, order__status=Status.COMPLETED).exists()
    for rating in Rating.objects.select_related("service_order"):
        assert rating.created_at >= rating.service_order.accepted_at
        assert rating.replied_at is None or rating.replied_at >= rating.created_at
    for dispute in Dispute.objects.select_related("service_order"):
        contract = Contract.objects.filter(service_order=dispute.service_order).first()
        assert contract is None or contract.issued_at <= dispute.created_at, dispute.service_order.order.number
        assert dispute.created_at >= dispute.service_order.paid_at
    for so in ServiceOrder.objects.filter(events__isnull=False).distinct():
        times = list(OrderEvent.objects.filter(service_order=so).order_by("pk").values_list("created_at", flat=True))
        assert times == sorted(times), so.order.number


def a_providers_submission_date_is_the_same_everywhere():
    submitted = Provider.objects.exclude(submitted_at=None)
    assert submitted.exists()
    for provider in submitted:
        event = ProviderEvent.objects.filter(provider=provider, kind=ProviderEvent.Kind.SUBMITTED).first()
        assert event is not None, provider.name
        assert abs(event.created_at - provider.submitted_at) < SECOND * 60, provider.name
