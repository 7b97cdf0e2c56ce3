"""Owners manage members; members and other enterprises cannot; an enterprise keeps an owner."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketplace.enterprises import services
from marketplace.enterprises.models import EnterpriseMember
from tests.factories import UserFactory, make_buyer

pytestmark = pytest.mark.django_db


def test_owner_adds_and_removes_members_but_keeps_an_owner():
    enterprise, owner = make_buyer()
    colleague = UserFactory()
    member = services.enterprise_member_add(enterprise=enterprise, actor=owner, email=colleague.email.upper())
    assert member.role == "member"
    with pytest.raises(ValidationError):
        services.enterprise_member_add(enterprise=enterprise, actor=owner, email=colleague.email)
    with pytest.raises(ValidationError):
        services.enterprise_member_add(enterprise=enterprise, actor=owner, email="nobody@example.test")
    with pytest.raises(services.NotPermitted):
        services.enterprise_member_add(enterprise=enterprise, actor=colleague, email=UserFactory().email)
    with pytest.raises(ValidationError):
        services.enterprise_member_remove(membership=enterprise.memberships.get(user=owner), actor=owner)
    services.enterprise_member_remove(membership=member, actor=owner)
    assert not EnterpriseMember.objects.filter(user=colleague).exists()


def test_member_pages_are_scoped(client):
    enterprise, owner = make_buyer()
    other, other_owner = make_buyer()
    client.force_login(owner)
    html = client.get(reverse("enterprises:home")).content.decode()
    assert enterprise.credit_code in html and other.credit_code not in html
    foreign = other.memberships.get()
    assert (
        client.post(reverse("enterprises:member-add", args=[other.pk]), {"email": "x@example.test"}).status_code == 404
    )
    assert client.post(reverse("enterprises:member-remove", args=[other.pk, foreign.pk])).status_code == 404
    assert client.post(reverse("enterprises:member-remove", args=[enterprise.pk, foreign.pk])).status_code == 404
    colleague = UserFactory()
    response = client.post(
        reverse("enterprises:member-add", args=[enterprise.pk]), {"email": colleague.email, "role": "member"}
    )
    assert response.status_code == 302 and enterprise.memberships.filter(user=colleague).exists()
    assert client.post(reverse("enterprises:member-add", args=[enterprise.pk]), {"email": "bad"}).status_code == 302
    assert client.get("/zh-hans" + reverse("enterprises:home")).status_code == 200
