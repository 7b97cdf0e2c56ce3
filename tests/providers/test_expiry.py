"""Qualification expiry: warnings 30 days ahead and on the day, once each; lapsed ones retired."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from providers import selectors, services, tasks
from providers.models import ProviderEvent, Qualification, QualificationNotice
from tests.factories import make_certified_provider, make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def eia(catalogue):
    return catalogue.get(code="eia")


@pytest.fixture
def listed(eia):
    provider = make_certified_provider(categories=[eia])
    product = make_listing(provider, eia)
    return provider, provider.qualifications.get(), product


def run(today, capture):
    with capture(execute=True):
        return services.qualification_expire_due(today=today)


def test_warns_thirty_days_before_once(listed, django_capture_on_commit_callbacks):
    provider, qualification, _product = listed
    mail.outbox.clear()
    day = qualification.valid_until - datetime.timedelta(days=30)
    assert run(day - datetime.timedelta(days=1), django_capture_on_commit_callbacks).warned == 0
    result = run(day, django_capture_on_commit_callbacks)
    assert (result.warned, result.expired) == (1, 0)
    assert len(mail.outbox) == 1 and "expires soon" in mail.outbox[0].subject
    # Re-runs the same day and on the following days send nothing new.
    assert run(day, django_capture_on_commit_callbacks).warned == 0
    assert run(day + datetime.timedelta(days=5), django_capture_on_commit_callbacks).warned == 0
    assert len(mail.outbox) == 1
    assert QualificationNotice.objects.filter(qualification=qualification).count() == 1


def test_warns_on_the_last_valid_day_and_keeps_selling_that_day(listed, django_capture_on_commit_callbacks):
    provider, qualification, product = listed
    run(qualification.valid_until - datetime.timedelta(days=30), django_capture_on_commit_callbacks)
    mail.outbox.clear()
    result = run(qualification.valid_until, django_capture_on_commit_callbacks)
    assert (result.warned, result.expired) == (1, 0)
    assert "expires today" in mail.outbox[0].subject
    assert selectors.purchasable_listings(today=qualification.valid_until).filter(pk=product.pk).exists()
    # The next day it expires, and that is news too.
    mail.outbox.clear()
    assert run(qualification.valid_until + datetime.timedelta(days=1), django_capture_on_commit_callbacks).expired == 1
    assert len(mail.outbox) == 1 and "has expired" in mail.outbox[0].subject


def test_expires_the_day_after_and_takes_listings_off_sale(listed, django_capture_on_commit_callbacks):
    provider, qualification, product = listed
    day_after = qualification.valid_until + datetime.timedelta(days=1)
    mail.outbox.clear()
    result = run(day_after, django_capture_on_commit_callbacks)
    assert (result.expired, result.listings_off_sale) == (1, 1)
    qualification.refresh_from_db()
    assert qualification.status == Qualification.Status.EXPIRED
    assert not selectors.purchasable_listings(today=day_after).filter(pk=product.pk).exists()
    event = provider.events.filter(kind=ProviderEvent.Kind.QUALIFICATION_EXPIRED).get()
    assert event.data["listings_off_sale"] == 1 and event.qualification == qualification
    assert len(mail.outbox) == 1 and "has expired" in mail.outbox[0].subject
    # Idempotent: nothing more to do, nothing more sent.
    again = run(day_after, django_capture_on_commit_callbacks)
    assert (again.warned, again.expired) == (0, 0)
    assert len(mail.outbox) == 1


def test_pending_and_rejected_qualifications_are_left_alone(eia, django_capture_on_commit_callbacks):
    provider = make_certified_provider(categories=[eia])
    from tests.factories import add_qualification

    pending = add_qualification(provider, eia, days=10)
    run(pending.valid_until + datetime.timedelta(days=2), django_capture_on_commit_callbacks)
    pending.refresh_from_db()
    assert pending.status == Qualification.Status.PENDING


def test_command_and_task_call_the_same_service(listed, capsys):
    _provider, qualification, _product = listed
    day_after = (qualification.valid_until + datetime.timedelta(days=1)).isoformat()
    call_command("expire_qualifications", date=day_after)
    assert "1 expired, 1 listing(s) off sale" in capsys.readouterr().out
    qualification.refresh_from_db()
    assert qualification.status == Qualification.Status.EXPIRED
    # The task runs for "today", when nothing is due in this data.
    assert tasks.expire_qualifications.delay().get() == {"warned": 0, "expired": 0, "listings_off_sale": 0}


def test_command_rejects_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date"):
        call_command("expire_qualifications", date="31/12/2026")


def test_task_is_scheduled_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["providers-expire-qualifications"]
    assert entry["task"] == "providers.expire_qualifications"
    assert entry["schedule"].hour == {6}
