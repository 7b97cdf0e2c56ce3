"""Authority and platform evaluations: who may evaluate what, scoping, and the pages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from marketplace.ratings import services
from marketplace.ratings.models import AuthorityEvaluation, PlatformEvaluation
from signing.models import IssuingAuthority
from tests.factories import (
    UserFactory,
    make_certified_provider,
    make_service_order,
    provider_owner,
    staff_user,
)
from tests.factories.credit import authority_evaluate, completed_order, officer, platform_evaluate

pytestmark = pytest.mark.django_db
SECRET_PRICE = "48000"


@pytest.fixture
def provider(catalogue):
    return make_certified_provider(categories=[catalogue.get(code="eia")], name="Evaluated Consulting")


def test_an_officer_evaluates_a_completed_order_once_for_their_own_authority(buyer, provider):
    so = completed_order(buyer, provider)
    user, authority = officer()
    other_user, other_authority = officer()
    # Not an officer of that authority, nor anyone's officer: refused.
    with pytest.raises(services.NotPermitted):
        authority_evaluate(so, user=user, authority=other_authority, quality=5, timeliness=5)
    with pytest.raises(services.NotPermitted):
        authority_evaluate(so, user=UserFactory(), authority=authority, quality=5, timeliness=5)
    # The platform's own authority is not an approving authority.
    platform = IssuingAuthority.objects.create(name="Platform", code="platform-x", number_prefix="PX", is_platform=True)
    platform_user, _ = officer(platform)
    with pytest.raises(services.NotPermitted):
        authority_evaluate(so, user=platform_user, authority=platform, quality=5, timeliness=5)
    with pytest.raises(ValidationError) as error:
        services.authority_evaluation_create(
            service_order=so, authority=authority, user=user, approval_number=" ", comment="", quality=9, timeliness=3
        )
    assert {"quality", "approval_number", "comment"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        authority_evaluate(so, user=user, authority=authority, quality=4, timeliness=3, approval_number=" ")
    assert "approval_number" in error.value.message_dict
    evaluation = authority_evaluate(so, user=user, authority=authority, quality=4, timeliness=3)
    assert (evaluation.overall, evaluation.provider) == (3.5, provider)
    with pytest.raises(ValidationError):
        authority_evaluate(so, user=user, authority=authority, quality=4, timeliness=3)
    # Another authority that used the same deliverable evaluates it too.
    authority_evaluate(so, user=other_user, authority=other_authority, quality=2, timeliness=2)
    assert AuthorityEvaluation.objects.filter(service_order=so).count() == 2


def test_an_unfinished_order_cannot_be_evaluated(buyer, provider):
    enterprise, owner = buyer
    so = make_service_order(enterprise=enterprise, buyer=owner, provider=provider)
    user, authority = officer()
    with pytest.raises(ValidationError):
        authority_evaluate(so, user=user, authority=authority, quality=4, timeliness=4)


def test_lookup_page_is_for_officers_and_shows_only_what_the_evaluation_needs(client, buyer, provider):
    so = completed_order(buyer, provider)
    url = reverse("ratings:authority")
    assert client.get(url).status_code == 302
    client.force_login(provider_owner(provider))
    assert client.get(url, {"order": so.order.number}).status_code == 403
    user, authority = officer()
    client.force_login(user)
    html = client.get(url, {"order": so.order.number}).content.decode()
    assert "Evaluated Consulting" in html and so.project_name in html
    assert SECRET_PRICE not in html and "certificate.pdf" not in html
    assert "No completed order has that number." in client.get(url, {"order": "NOPE"}).content.decode()
    response = client.post(
        url,
        {
            "order": so.order.number,
            "authority": authority.pk,
            "approval_number": "EP-2026-7",
            "quality": "5",
            "timeliness": "4",
            "comment": "Clear report.",
        },
    )
    assert response.status_code == 302
    evaluation = AuthorityEvaluation.objects.get()
    assert (evaluation.authority, evaluation.approval_number, evaluation.author) == (authority, "EP-2026-7", user)
    # Another authority's officer cannot post as this authority: the choice is not offered.
    other_user, _other = officer()
    client.force_login(other_user)
    response = client.post(
        url,
        {
            "order": so.order.number,
            "authority": authority.pk,
            "approval_number": "X",
            "quality": "1",
            "timeliness": "1",
            "comment": "x",
        },
    )
    assert response.status_code == 200 and AuthorityEvaluation.objects.count() == 1
    # Each authority lists only its own evaluations.
    assert "EP-2026-7" not in client.get(url).content.decode()


def test_platform_evaluation_needs_staff_a_reason_and_an_own_order_or_a_period(buyer, provider, catalogue):
    staff = staff_user()
    so = completed_order(buyer, provider)
    other = make_certified_provider(categories=[catalogue.get(code="eia")])
    with pytest.raises(services.NotPermitted):
        platform_evaluate(provider, conduct=3, user=provider_owner(provider))
    with pytest.raises(ValidationError) as error:
        services.platform_evaluation_create(
            provider=other, user=staff, ground="disputes", conduct=3, reason="x", service_order=so
        )
    assert "order_number" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.platform_evaluation_create(provider=provider, user=staff, ground="nope", conduct=0, reason=" ")
    assert {"ground", "conduct", "reason"} <= set(error.value.message_dict)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.platform_evaluation_create(
            provider=provider,
            user=staff,
            ground="disputes",
            conduct=3,
            reason="x",
            period_start=tomorrow,
            period_end=tomorrow,
        )
    assert "period_end" in error.value.message_dict
    platform_evaluate(provider, conduct=2, service_order=so, user=staff)
    platform_evaluate(provider, conduct=4, user=staff)
    assert PlatformEvaluation.objects.filter(provider=provider).count() == 2


def test_platform_evaluation_page(client, buyer, provider):
    so = completed_order(buyer, provider)
    staff = staff_user()
    client.force_login(staff)
    url = reverse("ratings:platform")
    data = {
        "provider": provider.pk,
        "order_number": "WRONG",
        "ground": "time_limits",
        "conduct": "2",
        "reason": "Late.",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "not one of this provider" in response.content.decode()
    response = client.post(url, {**data, "order_number": so.order.number})
    assert response.status_code == 302
    assert PlatformEvaluation.objects.get().service_order == so
    assert "Late." in client.get(url).content.decode()
    assert client.get("/zh-hans" + url).status_code == 200
