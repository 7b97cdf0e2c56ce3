"""The credit record end to end: inputs from real services, recompute triggers, appeals, suspension, pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from marketplace.credit import selectors, services
from marketplace.credit.models import CreditAppeal
from marketplace.hiring import services as hiring
from marketplace.procurement import services as procurement
from providers.models import Provider
from tests.factories import (
    UserFactory,
    make_certified_provider,
    make_quote,
    make_request,
    make_service_order,
    pay,
    provider_owner,
)
from tests.factories.credit import authority_evaluate, completed_order, officer, platform_evaluate, rate

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def provider(category):
    return make_certified_provider(categories=[category], name="Graded Consulting")


def score_of(provider):
    provider.refresh_from_db()
    return provider.credit_score, provider.credit_grade


def test_inputs_from_every_party_recompute_the_stored_score(buyer, provider, django_capture_on_commit_callbacks):
    """Each input recomputes after commit: the rating, then the authority's and the platform's view."""
    with django_capture_on_commit_callbacks(execute=True):
        on_time = completed_order(buyer, provider)
        late = completed_order(buyer, provider, late=True)
    # no evaluation yet: T = 50 → score 50, two stars
    assert score_of(provider) == (D("50.00"), 2)
    with django_capture_on_commit_callbacks(execute=True):
        rate(on_time, buyer, 5)
    # E = 100, T = 50 → 0.7×100 + 0.3×50 = 85
    assert score_of(provider) == (D("85.00"), 4)
    user, authority = officer()
    with django_capture_on_commit_callbacks(execute=True):
        authority_evaluate(late, user=user, authority=authority, quality=3, timeliness=1)
    # authority 2 stars = 25 points; E = (5×100 + 3×25)/8 = 71.875 → 0.7×71.875 + 15 = 65.3125
    assert score_of(provider) == (D("65.31"), 3)
    with django_capture_on_commit_callbacks(execute=True):
        platform_evaluate(provider, conduct=5)
    # E = (500 + 75 + 200)/10 = 77.5 → 54.25 + 15 = 69.25
    assert score_of(provider) == (D("69.25"), 3)
    assert provider.credit_computed_at is not None


def test_dispute_refund_and_split_deduct_but_a_completed_dispute_does_not(buyer, provider, staff):
    enterprise, owner = buyer
    for outcome, refund in (("refund", None), ("split", "1000"), ("complete", None)):
        so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
        pay(so)
        dispute = hiring.dispute_open(service_order=so, user=owner, reason="Nothing delivered.")
        hiring.dispute_resolve(dispute=dispute, user=staff, outcome=outcome, decision="Decided.", refund_amount=refund)
    rate(completed_order(buyer, provider), buyer, 5)  # E = 100, T = 100 (the one timed delivery)
    record = selectors.credit_record(provider=provider)
    disputes = [e for e in record.entries if e.source == "dispute"]
    assert sorted(e.effect for e in disputes) == [D("-10.00"), D("-5.00")]
    assert record.breakdown.score == D("85.00")


def test_an_upheld_rerun_objection_counts_once_against_the_winner_only(buyer, category, staff):
    enterprise, owner = buyer
    winner, second, third = (make_certified_provider(categories=[category]) for _ in range(3))
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, winner, price="100")
    make_quote(request, second, price="200")
    make_quote(request, third, price="300")
    later = timezone.now() + datetime.timedelta(hours=49)
    procurement.request_close(request=request, now=later)
    a = procurement.objection_file(request=request, user=provider_owner(second), reason="Forged licence.", now=later)
    procurement.objection_file(request=request, user=provider_owner(third), reason="Same.", now=later)
    procurement.objection_decide(objection=a, user=staff, uphold=True, decision="Licence invalid.", outcome="rerun")
    entries = [e for e in selectors.credit_record(provider=winner).entries if e.source == "objection"]
    assert len(entries) == 1 and entries[0].contribution.deduction == D(10)
    assert not [e for e in selectors.credit_record(provider=second).entries if e.source == "objection"]


def test_entries_outside_the_window_do_not_count(buyer, provider, settings):
    rate(completed_order(buyer, provider), buyer, 5)
    settings.CREDIT_WINDOW_DAYS = 0
    assert selectors.credit_record(provider=provider).entries == []


# --- Appeals -------------------------------------------------------------------------------------


def test_appeal_upheld_excludes_the_entry_and_rejected_leaves_it(buyer, provider, staff, client):
    rate(completed_order(buyer, provider), buyer, 5)
    late = completed_order(buyer, provider, late=True)
    rate(late, buyer, 1)
    services.provider_credit_recompute(provider=provider)
    # E = 50, T = 50 → 50
    assert score_of(provider) == (D("50.00"), 2)
    owner = provider_owner(provider)
    client.force_login(owner)
    delivery_url = reverse("providers:console-credit-appeal", args=["delivery", late.pk])
    rating_url = reverse("providers:console-credit-appeal", args=["buyer", late.rating.pk])
    assert client.post(delivery_url, {"reason": "The buyer moved the site visit."}).status_code == 302
    assert client.post(rating_url, {"reason": "Retaliation for the late delivery."}).status_code == 302
    # one open appeal per entry
    client.post(delivery_url, {"reason": "Again."})
    assert CreditAppeal.objects.filter(source="delivery", source_id=late.pk).count() == 1
    delivery_appeal = CreditAppeal.objects.get(source="delivery")
    rating_appeal = CreditAppeal.objects.get(source="buyer")

    client.force_login(staff)
    with pytest.raises(ValidationError):
        services.credit_appeal_decide(appeal=rating_appeal, reviewer=staff, uphold=False, decision=" ")
    client.post(
        reverse("providers:credit-appeal-decide", args=[rating_appeal.pk, "reject"]), {"decision": "A fair rating."}
    )
    services.provider_credit_recompute(provider=provider)
    assert score_of(provider) == (D("50.00"), 2)
    with_capture = client.post(
        reverse("providers:credit-appeal-decide", args=[delivery_appeal.pk, "uphold"]),
        {"decision": "The buyer's own delay; excluded."},
    )
    assert with_capture.status_code == 302
    services.provider_credit_recompute(provider=provider)
    # T now 1/1 = 100 → 0.7×50 + 30 = 65
    assert score_of(provider) == (D("65.00"), 3)

    # Both sides see the decisions.
    client.force_login(owner)
    html = client.get(reverse("providers:console-credit")).content.decode()
    assert "The buyer&#x27;s own delay; excluded." in html and "A fair rating." in html
    assert "Excluded" in html
    client.force_login(staff)
    html = client.get(reverse("providers:credit-staff-provider", args=[provider.pk])).content.decode()
    assert "The buyer&#x27;s own delay; excluded." in html
    with pytest.raises(services.provider_services.TransitionNotAllowed):
        services.credit_appeal_decide(appeal=delivery_appeal, reviewer=staff, uphold=False, decision="Changed mind.")


def test_appeal_decided_after_commit_recomputes(buyer, provider, staff, django_capture_on_commit_callbacks):
    rate(completed_order(buyer, provider, late=True), buyer, 3)
    services.provider_credit_recompute(provider=provider)
    assert score_of(provider) == (D("35.00"), 1)  # 0.7×50 + 0.3×0
    so = provider.service_orders.get()
    appeal = services.credit_appeal_file(
        provider=provider, user=provider_owner(provider), source="delivery", source_id=so.pk, reason="Extension agreed."
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.credit_appeal_decide(appeal=appeal, reviewer=staff, uphold=True, decision="Extension on file.")
    assert score_of(provider) == (D("50.00"), 2)


def test_only_members_appeal_and_only_their_own_entries(buyer, provider, category, client):
    so = completed_order(buyer, provider)
    with pytest.raises(services.provider_services.NotPermitted):
        services.credit_appeal_file(
            provider=provider, user=UserFactory(), source="delivery", source_id=so.pk, reason="Not mine."
        )
    other = make_certified_provider(categories=[category])
    other_order = completed_order(buyer, other)
    client.force_login(provider_owner(provider))
    url = reverse("providers:console-credit-appeal", args=["delivery", other_order.pk])
    assert client.post(url, {"reason": "Sneaky."}).status_code == 404
    assert (
        client.post(reverse("providers:console-credit-appeal", args=["nonsense", so.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert not CreditAppeal.objects.exists()
    # An empty reason is a message on the page, not a 500 and not an appeal.
    response = client.post(
        reverse("providers:console-credit-appeal", args=["delivery", so.pk]), {"reason": " "}, follow=True
    )
    assert response.status_code == 200 and "Explain why this entry is wrong." in response.content.decode()
    assert not CreditAppeal.objects.exists()


# --- Staff pages and suspension ------------------------------------------------------------------


def test_credit_staff_pages_are_staff_only(client, provider):
    urls = [
        reverse("providers:credit-staff"),
        reverse("providers:credit-staff-provider", args=[provider.pk]),
        reverse("ratings:platform"),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(provider_owner(provider))
    for url in urls:
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("providers:credit-staff-suspend", args=[provider.pk]), {"reason": "x"}).status_code == 403
    )


def test_staff_suspend_below_threshold_shows_on_the_public_profile(buyer, provider, category, staff, client):
    rate(completed_order(buyer, provider, late=True), buyer, 1)
    services.provider_credit_recompute(provider=provider)
    assert score_of(provider) == (D("0.00"), 1)
    good = make_certified_provider(categories=[category], name="Good Consulting")
    rate(completed_order(buyer, good), buyer, 5)
    services.provider_credit_recompute(provider=good)
    client.force_login(staff)
    html = client.get(reverse("providers:credit-staff")).content.decode()
    assert "Graded Consulting" in html and "Good Consulting" not in html
    # Above the threshold: refused with a message.
    response = client.post(reverse("providers:credit-staff-suspend", args=[good.pk]), {"reason": "x"}, follow=True)
    assert "below 40" in response.content.decode()
    assert Provider.objects.get(pk=good.pk).status == Provider.Status.CERTIFIED
    # No reason: refused.
    client.post(reverse("providers:credit-staff-suspend", args=[provider.pk]), {"reason": ""})
    assert Provider.objects.get(pk=provider.pk).status == Provider.Status.CERTIFIED
    client.post(
        reverse("providers:credit-staff-suspend", args=[provider.pk]), {"reason": "Credit score 0: repeated late work."}
    )
    provider.refresh_from_db()
    assert provider.status == Provider.Status.SUSPENDED
    client.logout()
    response = client.get(provider.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Suspended since" in html and "Credit score 0: repeated late work." in html
    assert "No listings on sale." in html


def test_public_profile_shows_grade_score_and_formula_link(buyer, provider, client):
    rate(completed_order(buyer, provider), buyer, 4)
    services.provider_credit_recompute(provider=provider)  # E 75, T 100 → 82.5
    html = client.get(provider.get_absolute_url()).content.decode()
    assert "score 82.50 / 100" in html and 'aria-label="4 stars"' in html
    assert reverse("providers:credit-formula") in html


def test_formula_page_shows_the_weights_in_force(client, settings):
    settings.CREDIT_EVALUATION_WEIGHTS = {"buyer": 7, "authority": 11, "platform": 13}
    settings.CREDIT_SUSPEND_THRESHOLD = 33
    html = client.get(reverse("providers:credit-formula")).content.decode()
    for text in ("<td>7</td>", "<td>11</td>", "<td>13</td>", "below 33"):
        assert text in html
    zh = client.get("/zh-hans" + reverse("providers:credit-formula")).content.decode()
    assert "信用" in zh and "<td>13</td>" in zh


def test_console_credit_page_query_count_is_flat(buyer, provider, client, django_assert_max_num_queries):
    client.force_login(provider_owner(provider))
    url = reverse("providers:console-credit")
    rate(completed_order(buyer, provider), buyer, 5)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200
    user, authority = officer()
    for n in range(4):
        so = completed_order(buyer, provider, late=n % 2 == 0)
        rate(so, buyer, 3)
        authority_evaluate(so, user=user, authority=authority, quality=4, timeliness=4)
        platform_evaluate(provider, conduct=4, service_order=so)
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.content.decode().count('class="credit-entry') == 5 * 2 + 4 * 2
    assert client.get("/zh-hans" + url).status_code == 200
    assert "信用" in client.get("/zh-hans" + url).content.decode()


def test_recompute_command_and_periodic_task(buyer, provider, settings):
    rate(completed_order(buyer, provider), buyer, 5)
    Provider.objects.filter(pk=provider.pk).update(credit_score=None, credit_grade=None)
    call_command("recompute_credit")
    assert score_of(provider) == (D("100.00"), 5)
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "credit.recompute_credit" in tasks


def test_dispute_and_objection_decisions_recompute_after_commit(
    buyer, category, provider, staff, django_capture_on_commit_callbacks
):
    enterprise, owner = buyer
    rate(completed_order(buyer, provider), buyer, 5)
    services.provider_credit_recompute(provider=provider)
    assert score_of(provider) == (D("100.00"), 5)
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    pay(so)
    dispute = hiring.dispute_open(service_order=so, user=owner, reason="Nothing delivered.")
    with django_capture_on_commit_callbacks(execute=True):
        hiring.dispute_resolve(dispute=dispute, user=staff, outcome="refund", decision="Refunded.")
    assert score_of(provider) == (D("90.00"), 5)
    rival = make_certified_provider(categories=[category])
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, provider, price="100")
    make_quote(request, rival, price="200")
    later = timezone.now() + datetime.timedelta(hours=49)
    procurement.request_close(request=request, now=later)
    objection = procurement.objection_file(request=request, user=provider_owner(rival), reason="Forged.", now=later)
    with django_capture_on_commit_callbacks(execute=True):
        procurement.objection_decide(objection=objection, user=staff, uphold=True, decision="Forged.", outcome="rerun")
    assert score_of(provider) == (D("80.00"), 4)


def test_a_split_decision_recomputes_the_score_once(buyer, provider, staff, django_capture_on_commit_callbacks):
    """A split decision saves the dispute and the order; the provider is recomputed once for both,
    and the search re-index is queued once."""
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    pay(so)
    dispute = hiring.dispute_open(service_order=so, user=owner, reason="Half delivered.")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hiring.dispute_resolve(dispute=dispute, user=staff, outcome="split", decision="Split.", refund_amount="1000")
    batches = [callback for callback in callbacks if getattr(callback, "send", None) is services._recompute]
    assert len(batches) == 1 and batches[0].ids == {provider.pk}
