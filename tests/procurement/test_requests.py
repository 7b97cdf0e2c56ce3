"""Requests for quotes through the services: publishing, sealed quoting, closing, objections, award."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from marketplace.hiring.models import ServiceOrder
from marketplace.procurement import awards, selection, services
from marketplace.procurement.models import Objection, Quote, RequestForQuotes
from tests.factories import (
    UserFactory,
    add_qualification,
    make_certified_provider,
    make_provider,
    make_quote,
    make_request,
    provider_owner,
    staff_user,
)

R = RequestForQuotes.Status
pytestmark = pytest.mark.django_db


def later(hours):
    return timezone.now() + datetime.timedelta(hours=hours)


def close(request, hours=49):
    return services.request_close(request=request, now=later(hours))


def test_publish_validates_and_random_draw_commits_to_a_secret_seed(buyer, category):
    enterprise, owner = buyer
    with pytest.raises(ValidationError) as error:
        make_request(enterprise=enterprise, user=owner, category=category, budget="0", hours=0)
    assert {"budget", "deadline"} <= set(error.value.message_dict)
    request = make_request(enterprise=enterprise, user=owner, category=category, method="random_draw")
    assert request.seed_commitment == selection.commitment_for(request.seed)
    assert not request.seed_is_public


def test_only_members_of_the_enterprise_may_publish(buyer, category):
    enterprise, _owner = buyer
    with pytest.raises(services.NotPermitted):
        make_request(enterprise=enterprise, user=UserFactory(), category=category)


def test_quote_is_once_per_provider_and_changeable_until_the_deadline(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    first = make_quote(request, providers[0], price="60000")
    second = make_quote(request, providers[0], price="55000")
    assert first.pk == second.pk
    assert Quote.objects.get(pk=first.pk).price == Decimal("55000.00")
    with pytest.raises(services.TransitionNotAllowed):
        make_quote(request, providers[0], price="50000", now=later(48))


def test_quote_above_budget_or_malformed_is_refused(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, budget="1000")
    with pytest.raises(ValidationError) as error:
        make_quote(request, providers[0], price="1000.01")
    assert "price" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.quote_submit(request=request, user=provider_owner(providers[0]), price="abc", service_days="x")
    assert {"price", "service_days"} <= set(error.value.message_dict)


def test_uncertified_unqualified_low_grade_or_far_away_providers_may_not_quote(buyer, category, catalogue):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, required_grade="A")
    draft = make_provider()
    with pytest.raises(services.NotPermitted):
        make_quote(request, draft)
    other = make_certified_provider(categories=[catalogue.get(code="surveying")])
    with pytest.raises(services.NotPermitted):
        make_quote(request, other)
    grade_b = make_provider()
    add_qualification(grade_b, category, grade="Grade B")
    reviewer = staff_user()
    from providers import services as provider_services

    provider_services.qualification_approve(qualification=grade_b.qualifications.get(), reviewer=reviewer)
    provider_services.provider_submit(provider=grade_b, user=provider_owner(grade_b))
    provider_services.provider_certify(provider=grade_b, reviewer=reviewer)
    with pytest.raises(services.NotPermitted):
        make_quote(request, grade_b)
    shanghai = make_certified_provider(categories=[category], region="310000")
    with pytest.raises(services.NotPermitted) as error:
        make_quote(request, shanghai)
    assert "region" in str(error.value)
    with pytest.raises(services.NotPermitted):
        services.quote_submit(request=request, user=owner, price="1", service_days=1)


def test_lowest_price_closes_into_publicity_then_awards_an_order(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="70000")
    winner = make_quote(request, providers[1], price="52000", days=40)
    make_quote(request, providers[2], price="53000")  # ties: test_selection.py
    mail.outbox.clear()
    request = close(request)
    assert request.status == R.PUBLICITY
    assert request.selections.get().winner_id == winner.pk
    assert services.request_award(request=request, now=later(50)) is None  # publicity still running
    order = services.request_award(request=request, now=later(49 + 24 * 3))
    assert order.order.status == "awaiting_payment"
    assert (order.price, order.service_days, order.provider) == (Decimal("52000.00"), 40, providers[1])
    assert RequestForQuotes.objects.get(pk=request.pk).status == R.AWARDED
    assert services.request_award(request=request, now=later(200)) is None


def test_closing_twice_runs_the_selection_once(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0])
    close(request)
    close(request)
    assert request.selections.count() == 1


def test_closing_before_the_deadline_does_nothing(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0])
    assert services.request_close(request=request).status == R.OPEN


def test_no_eligible_quote_fails_after_one_extension_and_the_buyer_may_republish(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="scored")
    request = close(request)
    assert request.status == R.OPEN and request.events.filter(kind="extended").count() == 1
    request = close(request, hours=49 + 24 * 4)  # past the extended deadline
    assert request.status == R.FAILED and request.status_reason == "too_few_quotes"
    with pytest.raises(services.NotPermitted):
        services.request_republish(request=request, user=provider_owner(providers[0]), deadline=later(72))
    again = services.request_republish(request=request, user=owner, deadline=later(72))
    assert again.status == R.OPEN and again.republished_from == request and again.pk != request.pk


def test_quote_from_a_provider_suspended_before_the_close_is_not_eligible(buyer, category, providers, staff):
    from providers import services as provider_services

    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="100")
    other = make_quote(request, providers[1], price="200")
    provider_services.provider_suspend(provider=providers[0], reviewer=staff, reason="Complaints")
    assert close(request).selections.get().winner_id == other.pk


def test_random_draw_reveals_the_seed_and_the_result_can_be_recomputed(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="random_draw")
    commitment = request.seed_commitment
    for provider in providers:
        make_quote(request, provider)
    request = close(request)
    assert request.seed_is_public
    import hashlib
    import hmac

    seed = bytes.fromhex(request.seed)
    assert hashlib.sha256(seed).hexdigest() == commitment
    # Candidates are named by their providers' credit codes, which the platform does not assign.
    codes = sorted(provider.credit_code for provider in providers)
    digest = hmac.new(seed, ",".join(codes).encode(), hashlib.sha256).digest()
    winner = codes[int.from_bytes(digest, "big") % len(codes)]
    assert request.selections.get().winner.provider.credit_code == winner


def test_scored_records_weights_and_a_score_table(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="scored")
    make_quote(request, providers[0], price="50000", days=90)
    make_quote(request, providers[1], price="52000", days=20)
    chosen = close(request).selections.get()
    assert chosen.weights == {"price": 60, "rating": 25, "service_days": 15}
    assert len(chosen.table) == 2 and {"score", "price_score", "rating_score", "days_score"} <= set(chosen.table[0])


def test_the_scored_table_says_what_an_unrated_provider_counts_as(client, buyer, category, providers, settings):
    settings.RATING_PRIOR_MEAN, settings.RATING_PRIOR_WEIGHT = "4.0", 5
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="scored")
    make_quote(request, providers[0], price="50000", days=90)
    make_quote(request, providers[1], price="52000", days=20)
    close(request)
    assert {row["rating"] for row in request.selections.get().table} == {"4.00"}  # neither has ratings
    page = client.get(request.get_absolute_url()).content.decode()
    assert "a provider with no ratings yet counts as 4.00, the platform-wide prior" in page


def test_direct_method_waits_for_the_buyer_then_publicity(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="direct")
    make_quote(request, providers[0])
    pick = make_quote(request, providers[1])
    request = close(request)
    assert request.status == R.CHOOSING
    with pytest.raises(services.NotPermitted):
        services.request_choose(request=request, user=provider_owner(providers[1]), quote_id=pick.pk)
    with pytest.raises(ValidationError):
        services.request_choose(request=request, user=owner, quote_id=999999)
    services.request_choose(request=request, user=owner, quote_id=pick.pk)
    request.refresh_from_db()
    assert request.status == R.PUBLICITY
    assert request.selections.get().winner_id == pick.pk


def test_objection_upheld_reruns_without_the_winner(buyer, category, providers, staff):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    first = make_quote(request, providers[0], price="100")
    second = make_quote(request, providers[1], price="200")
    close(request)
    with pytest.raises(services.NotPermitted):  # the winner cannot object
        services.objection_file(request=request, user=provider_owner(providers[0]), reason="x", now=later(50))
    with pytest.raises(services.NotPermitted):  # a provider that did not quote cannot object
        services.objection_file(request=request, user=provider_owner(providers[2]), reason="x", now=later(50))
    objection = services.objection_file(
        request=request, user=provider_owner(providers[1]), reason="The winner's licence is forged.", now=later(50)
    )
    with pytest.raises(ValidationError):
        services.objection_file(request=request, user=provider_owner(providers[1]), reason="again", now=later(50))
    # Pending objection blocks the award even after the period.
    assert services.request_award(request=request, now=later(200)) is None
    with pytest.raises(services.NotPermitted):
        services.objection_decide(objection=objection, user=owner, uphold=True, decision="x", outcome="rerun")
    with pytest.raises(ValidationError):
        services.objection_decide(objection=objection, user=staff, uphold=True, decision="", outcome="rerun")
    services.objection_decide(
        objection=objection, user=staff, uphold=True, decision="Licence not valid.", outcome="rerun", now=later(51)
    )
    request.refresh_from_db()
    current = request.selections.get(superseded=False)
    assert (request.status, current.round, current.winner_id) == (R.PUBLICITY, 2, second.pk)
    assert Quote.objects.get(pk=first.pk).excluded
    with pytest.raises(services.TransitionNotAllowed):
        services.objection_decide(objection=objection, user=staff, uphold=False, decision="again")


def test_objection_dismissed_keeps_the_result_and_cancel_outcome_cancels(buyer, category, providers, staff):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="100")
    make_quote(request, providers[1], price="200")
    make_quote(request, providers[2], price="300")
    close(request)
    a = services.objection_file(request=request, user=provider_owner(providers[1]), reason="a", now=later(50))
    b = services.objection_file(request=request, user=provider_owner(providers[2]), reason="b", now=later(50))
    services.objection_decide(objection=a, user=staff, uphold=False, decision="Unfounded.")
    request.refresh_from_db()
    assert request.status == R.PUBLICITY
    services.objection_decide(objection=b, user=staff, uphold=True, decision="Flawed request.", outcome="cancel")
    request.refresh_from_db()
    assert request.status == R.CANCELLED
    assert Objection.objects.get(pk=a.pk).status == Objection.Status.DISMISSED


def test_objection_after_the_period_is_refused(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="100")
    make_quote(request, providers[1], price="200")
    close(request)
    with pytest.raises(services.TransitionNotAllowed):
        services.objection_file(request=request, user=provider_owner(providers[1]), reason="late", now=later(49 + 73))


def test_upheld_objection_with_no_quote_left_fails_the_request(buyer, category, providers, staff):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="100")
    make_quote(request, providers[1], price="200")
    close(request)
    first = services.objection_file(request=request, user=provider_owner(providers[1]), reason="a", now=later(50))
    services.objection_decide(objection=first, user=staff, uphold=True, decision="Yes.", outcome="rerun", now=later(51))
    second = services.objection_file(request=request, user=provider_owner(providers[0]), reason="b", now=later(52))
    services.objection_decide(
        objection=second, user=staff, uphold=True, decision="Yes.", outcome="rerun", now=later(53)
    )
    request.refresh_from_db()
    assert request.status == R.FAILED


def test_close_due_requests_command_closes_and_awards(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0])
    RequestForQuotes.objects.filter(pk=request.pk).update(deadline=timezone.now() - datetime.timedelta(days=5))
    call_command("close_due_requests")
    request.refresh_from_db()
    assert request.status == R.PUBLICITY
    RequestForQuotes.objects.filter(pk=request.pk).update(
        publicity_ends_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    from marketplace.procurement.tasks import close_due_requests

    assert close_due_requests() == {"closed": 0, "awarded": 1}
    assert ServiceOrder.objects.filter(request=request).exists()


def test_emails_before_the_deadline_carry_no_quote(buyer, category, providers, django_capture_on_commit_callbacks):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="direct")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_quote(request, providers[0], price="43210.99", note="SECRET-NOTE")
        close(request)
    assert mail.outbox  # the buyer was told to choose
    # Even after the close the emails only point to the page; they never carry a quote.
    text = " ".join(m.subject + m.body for m in mail.outbox)
    assert "43210" not in text and "SECRET-NOTE" not in text
    assert "43210" not in str(list(request.events.values_list("data", flat=True)))


def test_fewer_valid_quotes_than_the_minimum_extend_the_deadline_once_then_fail(buyer, category, providers, settings):
    """The provinces' rule: with fewer than the minimum the request is extended once (bidders told), and
    fails if still short; with enough by the new deadline the selection runs."""
    settings.PROCUREMENT_MIN_VALID_QUOTES = 3
    settings.PROCUREMENT_EXTENSION_DAYS = 2
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="100")
    make_quote(request, providers[1], price="200")
    deadline = request.deadline
    request = close(request)
    assert request.status == R.OPEN and request.deadline > deadline and not request.seed_revealed_at
    assert request.events.get(kind="extended").data["valid"] == 2
    make_quote(request, providers[2], price="150", now=later(60))  # the third arrives in the extension
    request = close(request, hours=49 + 24 * 3)
    assert request.status == R.PUBLICITY and request.selections.get().winner.price == Decimal("100")

    short = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(short, providers[0], price="100")
    assert close(short).status == R.OPEN
    short = close(short, hours=49 + 24 * 3)
    assert (short.status, short.status_reason) == (R.FAILED, "too_few_quotes")


def test_an_awardee_who_walks_away_hands_the_award_to_the_next_ranked_quote(client, buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    first = make_quote(request, providers[0], price="100")
    second = make_quote(request, providers[1], price="150")
    make_quote(request, providers[2], price="200")
    request = close(request)
    assert request.selections.get(superseded=False).winner == first
    client.force_login(provider_owner(providers[1]))  # not the winner
    client.post(reverse("procurement:decline", args=[request.pk]), {"reason": "x"})
    assert request.selections.get(superseded=False).winner == first
    client.force_login(provider_owner(providers[0]))
    response = client.post(reverse("procurement:decline", args=[request.pk]), {"reason": "No capacity"})
    assert response.status_code == 302
    request.refresh_from_db()
    current = request.selections.get(superseded=False)
    assert (current.winner, current.round, request.status) == (second, 2, R.PUBLICITY)
    assert request.events.get(kind="award_declined").data["reason"] == "No capacity"


def test_a_random_draw_is_drawn_again_among_the_rest_with_the_same_seed(buyer, category, providers):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category, method="random_draw")
    quotes = [make_quote(request, provider, price="100") for provider in providers]
    request = close(request)
    winner = request.selections.get(superseded=False).winner
    awards.award_decline(request=request, user=provider_owner(winner.provider), reason="Walked away")
    rest = sorted(q.provider.credit_code for q in quotes if q.pk != winner.pk)
    expected = rest[selection.draw_index(request.seed, rest)]
    assert request.selections.get(superseded=False).winner.provider.credit_code == expected
    with pytest.raises(services.NotPermitted):
        awards.award_decline(request=request, user=owner, reason="Not mine to decline")
