"""An authority evaluation that names a permit this platform sealed links it, but only the right one."""

import pytest
from django.core.exceptions import ValidationError

from marketplace.enterprises.models import EnterpriseMember
from tests.factories import UserFactory, make_buyer, make_certified_provider
from tests.factories.credit import authority_evaluate, completed_order

pytestmark = pytest.mark.django_db


def test_a_sealed_permit_number_must_be_this_authoritys_permit_for_the_orders_enterprise(
    catalogue, authority, issued_permit, holder, officer
):
    provider = make_certified_provider(categories=[catalogue.get(code="eia")])
    owner = UserFactory()
    EnterpriseMember.objects.create(enterprise=holder, user=owner, role=EnterpriseMember.Role.OWNER)
    holders_order = completed_order((holder, owner), provider)
    someone_elses_order = completed_order(make_buyer(), provider)
    with pytest.raises(ValidationError) as error:
        authority_evaluate(
            someone_elses_order,
            user=officer,
            authority=authority,
            quality=4,
            timeliness=4,
            approval_number=issued_permit.number,
        )
    assert "approval_number" in error.value.message_dict
    evaluation = authority_evaluate(
        holders_order, user=officer, authority=authority, quality=4, timeliness=4, approval_number=issued_permit.number
    )
    assert evaluation.permit == issued_permit
