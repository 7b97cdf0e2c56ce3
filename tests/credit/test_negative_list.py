"""The negative-behaviour list: each kind of event with its evidence, date and published deduction,
how it moves the score, staff recording it, and the public list in both languages and as CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.credit import selectors, services
from marketplace.credit.models import CreditAppeal, NegativeEvent
from marketplace.hiring import services as hiring
from marketplace.hiring.models import ServiceOrder
from marketplace.procurement import services as procurement
from tests.factories import (
    make_certified_provider,
    make_quote,
    make_request,
    make_service_order,
    pay,
    provider_owner,
)
from tests.factories.credit import completed_order, rate

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def provider(category, buyer):
    """A provider with a perfect base score: one five-star, on-time order (score 100)."""
    provider = make_certified_provider(categories=[category], name="Listed Consulting")
    rate(completed_order(buyer, provider), buyer, 5)
    return provider


def score(provider, now=None):
    return services.provider_credit_recompute(provider=provider, now=now).score


def record_event(provider, staff, kind, days_ago=3, evidence="Letter of 2026-02-01 declining the award."):
    return services.negative_event_record(
        provider=provider,
        reviewer=staff,
        kind=kind,
        occurred_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        evidence=evidence,
    )


def public_rows(client, prefix=""):
    with translation.override("en"):  # a Chinese page requested before leaves Chinese active
        url = reverse("providers:penalties")
    response = client.get(prefix + url, {"format": "csv"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("kind", "deduction", "label"),
    [
        ("award_declined", D(10), "Awardee declined the award"),
        ("contract_unsigned", D(10), "did not sign the contract"),
        ("qualification_false", D(20), "Qualification found false"),
    ],
)
def test_a_staff_recorded_event_deducts_its_published_points(provider, staff, client, kind, deduction, label):
    assert score(provider) == D("100.00")
    event = record_event(provider, staff, kind)
    assert score(provider) == D(100) - deduction
    (entry,) = [e for e in selectors.credit_record(provider=provider).entries if e.source == "recorded"]
    assert entry.source_id == event.pk and entry.contribution.deduction == deduction and entry.effect == -deduction
    assert "Letter of 2026-02-01" in entry.detail and label in entry.value
    (row,) = [r for r in public_rows(client)[1:] if provider.credit_code in r]
    assert label in row[3] and event.occurred_on.isoformat() in row and str(deduction) in row


def test_recording_recomputes_after_commit(provider, staff, django_capture_on_commit_callbacks):
    score(provider)
    with django_capture_on_commit_callbacks(execute=True):
        record_event(provider, staff, "qualification_false")
    provider.refresh_from_db()
    assert provider.credit_score == D("80.00")


def test_recording_refuses_bad_input_and_non_staff(provider, staff):
    with pytest.raises(ValidationError) as error:
        services.negative_event_record(provider=provider, reviewer=staff, kind="rude", occurred_on=None, evidence=" ")
    assert set(error.value.message_dict) == {"kind", "occurred_on", "evidence"}
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="future"):
        services.negative_event_record(
            provider=provider, reviewer=staff, kind="award_declined", occurred_on=tomorrow, evidence="x"
        )
    with pytest.raises(ValidationError, match="staff"):
        record_event(provider, provider_owner(provider), "award_declined")
    assert not NegativeEvent.objects.exists()


def test_staff_record_through_their_page_and_others_are_refused(provider, staff, client):
    url = reverse("providers:credit-negative-record", args=[provider.pk])
    data = {"kind": "contract_unsigned", "occurred_on": "2026-01-05", "evidence": "No signature by the deadline."}
    assert client.post(url, data).status_code == 302 and not NegativeEvent.objects.exists()  # to log in
    client.force_login(provider_owner(provider))
    assert client.post(url, data).status_code == 403 and not NegativeEvent.objects.exists()
    client.force_login(staff)
    page = client.get(reverse("providers:credit-staff-provider", args=[provider.pk])).content.decode()
    assert 'name="evidence"' in page
    response = client.post(url, {**data, "evidence": ""}, follow=True)
    assert "required" in response.content.decode() and not NegativeEvent.objects.exists()
    response = client.post(url, data, follow=True)
    event = NegativeEvent.objects.get()
    assert (event.kind, event.occurred_on, event.recorded_by) == ("contract_unsigned", datetime.date(2026, 1, 5), staff)
    assert "No signature by the deadline." in response.content.decode()


def test_a_delivery_overdue_beyond_the_grace_is_an_event_once_the_grace_has_passed(provider, buyer, settings, client):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    pay(so)
    due = timezone.now() - datetime.timedelta(days=10)
    ServiceOrder.objects.filter(pk=so.pk).update(due_at=due)
    settings.CREDIT_OVERDUE_DAYS = 30
    assert not [e for e in selectors.credit_record(provider=provider).entries if e.source == "overdue"]
    assert score(provider) == D("100.00")
    later = timezone.now() + datetime.timedelta(days=21)  # 31 days past the deadline, still undelivered
    (entry,) = [e for e in selectors.credit_record(provider=provider, now=later).entries if e.source == "overdue"]
    assert entry.date == due + datetime.timedelta(days=30) and entry.contribution.deduction == D(5)
    assert score(provider, now=later) == D("95.00")
    settings.CREDIT_OVERDUE_DAYS = 5  # already more than 5 days late today
    rows = [r for r in public_rows(client)[1:] if provider.credit_code in r]
    assert len(rows) == 1 and "Delivery overdue" in rows[0][3] and "5" in rows[0]


def test_an_order_delivered_within_the_grace_is_not_an_overdue_event(provider, buyer, settings):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    pay(so)
    ServiceOrder.objects.filter(pk=so.pk).update(
        due_at=timezone.now() - datetime.timedelta(days=40), delivered_at=timezone.now() - datetime.timedelta(days=35)
    )
    settings.CREDIT_OVERDUE_DAYS = 30
    assert not [e for e in selectors.credit_record(provider=provider).entries if e.source == "overdue"]
    settings.CREDIT_OVERDUE_DAYS = 3
    assert [e for e in selectors.credit_record(provider=provider).entries if e.source == "overdue"]


def test_refund_disputes_and_upheld_objections_are_on_the_public_list_with_their_deductions(
    provider, buyer, staff, category, client
):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    pay(so)
    dispute = hiring.dispute_open(service_order=so, user=owner, reason="Nothing delivered.")
    hiring.dispute_resolve(dispute=dispute, user=staff, outcome="refund", decision="Refund.", refund_amount=None)
    second = make_certified_provider(categories=[category], name="Second Consulting")
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, provider, price="100")
    make_quote(request, second, price="200")
    later = timezone.now() + datetime.timedelta(hours=49)
    procurement.request_close(request=request, now=later)
    objection = procurement.objection_file(request=request, user=provider_owner(second), reason="Forged.", now=later)
    procurement.objection_decide(objection=objection, user=staff, uphold=True, decision="Invalid.", outcome="rerun")
    assert score(provider) == D("80.00")
    rows = [r for r in public_rows(client)[1:] if provider.credit_code in r]
    kinds = sorted((r[3], r[6]) for r in rows)
    assert kinds == [("Dispute decided against the provider", "10"), ("Upheld objection to an award", "10")]
    assert not [r for r in public_rows(client)[1:] if second.credit_code in r]


def test_an_event_excluded_by_an_upheld_appeal_leaves_the_list_and_the_score(provider, staff, client):
    event = record_event(provider, staff, "award_declined")
    assert score(provider) == D("90.00")
    appeal = services.credit_appeal_file(
        provider=provider, user=provider_owner(provider), source="recorded", source_id=event.pk, reason="We accepted."
    )
    services.credit_appeal_decide(appeal=appeal, reviewer=staff, uphold=True, decision="The acceptance is on file.")
    assert CreditAppeal.objects.get().status == CreditAppeal.Status.UPHELD
    assert score(provider) == D("100.00")
    assert not [r for r in public_rows(client)[1:] if provider.credit_code in r]


def test_events_older_than_the_public_window_leave_the_list(provider, staff, settings, client):
    record_event(provider, staff, "award_declined", days_ago=40)
    settings.CREDIT_NEGATIVE_LIST_DAYS = 30
    assert not [r for r in public_rows(client)[1:] if provider.credit_code in r]
    settings.CREDIT_NEGATIVE_LIST_DAYS = 60
    assert [r for r in public_rows(client)[1:] if provider.credit_code in r]


def test_the_public_page_in_both_languages_names_no_person(provider, staff, client):
    event = record_event(provider, staff, "qualification_false", evidence="Certificate number not in the registry.")
    url = reverse("providers:penalties")
    html = client.get(url).content.decode()
    assert "Listed Consulting" in html and provider.credit_code in html and "Qualification found false" in html
    assert event.occurred_on.isoformat() in html and "20" in html
    assert staff.email not in html and provider_owner(provider).email not in html and "Zhang San" not in html
    assert "Certificate number not in the registry." not in html  # evidence is for the provider and staff
    zh_html = client.get("/zh-hans" + url).content.decode()
    assert provider.name_zh in zh_html and "统一社会信用代码" in zh_html
    zh_rows = public_rows(client, "/zh-hans")
    assert "统一社会信用代码" in zh_rows[0]
    assert [r for r in zh_rows[1:] if provider.credit_code in r and provider.name_zh in r]


def test_the_formula_page_lists_every_deduction(client, settings):
    settings.CREDIT_OVERDUE_DAYS = 45
    html = client.get(reverse("providers:credit-formula")).content.decode()
    for text in (
        "overdue by more than 45 days",
        "declined the award",
        "did not seal the contract within 7 days",
        "found false",
    ):
        assert text in html
    assert reverse("providers:penalties") in html
