"""Nobody on both sides of a deal: each refusal through the views a person uses, the reason it gives, the
record staff see, and nothing changed by the refused act."""

import pytest
from django.urls import reverse

from marketplace.core.conflicts import ConflictOfInterest
from marketplace.core.models import ConflictAttempt, RelatedParty
from marketplace.enterprises.models import EnterpriseMember
from marketplace.hiring import services as hiring
from marketplace.hiring.models import Dispute
from marketplace.payments.models import Payout
from marketplace.procurement.models import Quote
from marketplace.ratings import services as ratings
from marketplace.ratings.models import Rating
from providers import services as provider_services
from providers.models import ProviderMember
from tests.factories import (
    AuthorityMemberFactory,
    make_request,
    make_service_order,
    provider_owner,
)
from tests.factories.oversight import delivered_order
from tests.factories.providers import make_provider

pytestmark = pytest.mark.django_db


def joins_buyer(user, enterprise):
    EnterpriseMember.objects.create(enterprise=enterprise, user=user)


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_a_provider_member_in_the_buyers_enterprise_cannot_quote_on_its_request(client, buyer, providers, category):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    insider = provider_owner(providers[0])
    joins_buyer(insider, enterprise)
    client.force_login(insider)
    response = client.post(
        reverse("procurement:quote", args=[request.pk]), {"price": "50000", "service_days": 30}, follow=True
    )
    assert "You belong to both" in response.content.decode()
    assert not Quote.objects.filter(request=request).exists()
    attempt = ConflictAttempt.objects.get()
    assert (attempt.act, attempt.reason, attempt.user, attempt.provider_id) == (
        "quote",
        "same_person",
        insider,
        providers[0].pk,
    )
    # Another provider, with nobody on both sides, quotes normally.
    client.force_login(provider_owner(providers[1]))
    client.post(reverse("procurement:quote", args=[request.pk]), {"price": "50000", "service_days": 30})
    assert Quote.objects.filter(request=request, provider=providers[1]).exists()


def test_nobody_accepts_or_rates_their_own_delivery(client, buyer, providers):
    """The issue's case: the provider's user joined the buyer's enterprise, then accepted its own delivery
    (releasing the payout) and rated it 5/5. Both are refused, and the payout is not released."""
    enterprise, owner = buyer
    order = delivered_order(buyer, providers[0])
    insider = provider_owner(providers[0])
    joins_buyer(insider, enterprise)
    client.force_login(insider)
    page = client.post(
        reverse("hiring:action", args=[order.pk, "accept"]), {"confirm": "yes"}, follow=True
    ).content.decode()
    assert "You belong to both" in page
    order.order.refresh_from_db()
    assert order.order.status == "delivered" and not Payout.objects.exists()
    for act in ("revision", "dispute"):
        client.post(reverse("hiring:action", args=[order.pk, act]), {"reason": "Redo it"})
    order.order.refresh_from_db()
    assert order.order.status == "delivered" and not Dispute.objects.exists()
    hiring.service_order_accept(service_order=order, user=owner)  # the real buyer accepts
    stars = {"quality": 5, "timeliness": 5, "communication": 5, "price_fairness": 5}
    client.post(reverse("hiring:rate", args=[order.pk]), stars)
    assert not Rating.objects.exists()
    assert set(ConflictAttempt.objects.values_list("act", flat=True)) == {"accept", "revise", "dispute", "rate"}


def test_related_organisations_cannot_deal_even_without_a_shared_person(client, buyer, providers, category):
    """Declared by the enterprise on its page (by the provider's credit code): the provider's quote is refused."""
    enterprise, owner = buyer
    client.force_login(owner)
    response = client.post(
        reverse("fairplay:related-parties"),
        {
            "organisation": f"enterprise-{enterprise.pk}",
            "other_credit_code": providers[2].credit_code,
            "relation": "Parent company",
        },
    )
    assert response.status_code == 302
    party = RelatedParty.objects.get()
    assert (party.enterprise, party.provider, party.declared_by) == (enterprise, providers[2], "enterprise")
    request = make_request(enterprise=enterprise, user=owner, category=category)
    client.force_login(provider_owner(providers[2]))
    page = client.post(
        reverse("procurement:quote", args=[request.pk]), {"price": "50000", "service_days": 30}, follow=True
    ).content.decode()
    assert "related parties" in page and not Quote.objects.exists()
    assert ConflictAttempt.objects.get().reason == "related_party"


def test_declaring_needs_a_known_code_and_a_relation(client, buyer):
    enterprise, owner = buyer
    client.force_login(owner)
    response = client.post(
        reverse("fairplay:related-parties"),
        {"organisation": f"enterprise-{enterprise.pk}", "other_credit_code": "91110000000000000X", "relation": "x"},
    )
    assert response.status_code == 400 and "No provider on the platform" in response.content.decode()
    response = client.post(
        reverse("fairplay:related-parties"),
        {"organisation": f"enterprise-{enterprise.pk}", "other_credit_code": "", "relation": ""},
    )
    assert response.status_code == 400 and not RelatedParty.objects.exists()
    assert client.get("/zh-hans/fair-play/related-parties/").status_code == 200


def test_same_credit_code_or_legal_representative_counts_as_one_side(buyer, providers, category):
    enterprise, owner = buyer
    enterprise.legal_representative = " zhang  san "  # the providers' representative, spaced and cased otherwise
    enterprise.save()
    order = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    with pytest.raises(ConflictOfInterest, match="same legal representative"):
        hiring.dispute_open(service_order=order, user=owner, reason="x")
    enterprise.legal_representative = ""
    enterprise.credit_code = providers[1].credit_code
    enterprise.save()
    other = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[1])
    with pytest.raises(ConflictOfInterest, match="share one unified social credit code"):
        hiring.dispute_open(service_order=other, user=owner, reason="x")
    assert list(ConflictAttempt.objects.values_list("reason", flat=True).order_by("pk")) == [
        "same_legal_rep",
        "same_credit_code",
    ]


def test_staff_do_not_decide_a_case_of_their_own_organisation(client, buyer, providers, staff):
    enterprise, owner = buyer
    order = delivered_order(buyer, providers[0])
    dispute = hiring.dispute_open(service_order=order, user=owner, reason="Late")
    ProviderMember.objects.create(provider=providers[0], user=staff)
    client.force_login(staff)
    page = client.post(
        reverse("hiring:dispute-resolve", args=[dispute.pk]),
        {"outcome": "complete", "decision": "Provider did the work"},
        follow=True,
    ).content.decode()
    assert "another member of staff must decide it" in page
    assert Dispute.objects.get(pk=dispute.pk).resolved_at is None
    assert ConflictAttempt.objects.get().act == "decide_dispute"


def test_staff_do_not_certify_a_provider_they_belong_to(staff, category):
    provider = make_provider()
    ProviderMember.objects.create(provider=provider, user=staff)
    with pytest.raises(ConflictOfInterest, match="another member of staff"):
        provider_services.provider_certify(provider=provider, reviewer=staff)
    assert ConflictAttempt.objects.get().act == "decide_certification"


def test_an_officer_does_not_evaluate_an_order_of_their_own_enterprise(buyer, providers):
    enterprise, owner = buyer
    order = delivered_order(buyer, providers[0])
    hiring.service_order_accept(service_order=order, user=owner)
    officer = AuthorityMemberFactory()
    joins_buyer(officer.user, enterprise)
    with pytest.raises(ConflictOfInterest, match="a party to this case"):
        ratings.authority_evaluation_create(
            service_order=order,
            authority=officer.authority,
            user=officer.user,
            approval_number="X-1",
            comment="Used it",
            quality=5,
            timeliness=5,
        )
    assert ConflictAttempt.objects.get().act == "evaluate"


def test_staff_see_refused_acts_and_download_them(client, buyer, providers, category, staff):
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    insider = provider_owner(providers[0])
    joins_buyer(insider, enterprise)
    client.force_login(insider)
    client.post(reverse("procurement:quote", args=[request.pk]), {"price": "50000", "service_days": 30})
    assert client.get(reverse("fairplay:conflict-attempts")).status_code == 403
    client.force_login(staff)
    page = client.get(reverse("fairplay:conflict-attempts")).content.decode()
    assert "Quote" in page and str(providers[0]) in page and insider.email in page
    csv = client.get(reverse("fairplay:conflict-attempts") + "?format=csv")
    assert csv["Content-Type"].startswith("text/csv") and insider.email in csv.content.decode("utf-8-sig")
    assert client.get("/zh-hans/fair-play/conflicts/").status_code == 200
    # Staff add a relation between any two organisations.
    response = client.post(
        reverse("fairplay:related-parties"),
        {
            "enterprise_code": enterprise.credit_code,
            "other_credit_code": providers[1].credit_code,
            "relation": "Same group",
        },
    )
    assert response.status_code == 302
    assert RelatedParty.objects.get().declared_by == "staff"


def test_staff_do_not_ban_a_provider_they_belong_to(staff, providers):
    ProviderMember.objects.create(provider=providers[0], user=staff)
    with pytest.raises(ConflictOfInterest, match="another member of staff"):
        provider_services.provider_ban_impose(provider=providers[0], reviewer=staff, term="3", reason="Fraud")
    assert not providers[0].bans.exists()
    assert ConflictAttempt.objects.get().act == "impose_ban"
