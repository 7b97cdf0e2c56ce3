"""One organisation concept: who a person acts for, and the view mixin that scopes objects by it."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.views import View

from marketplace.core.models import Membership
from marketplace.core.selectors import (
    ActingOrganisations,
    acting_organisations,
    membership_models,
    request_organisations,
)
from marketplace.core.views import OrganisationObjectMixin
from marketplace.enterprises.models import Enterprise, EnterpriseMember
from marketplace.enterprises.selectors import enterprise_for_user
from providers.models import ProviderMember
from signing.models import AuthorityMember
from tests.factories.accounts import UserFactory
from tests.factories.enterprises import EnterpriseFactory, EnterpriseMemberFactory
from tests.factories.providers import make_provider
from tests.factories.signing import AuthorityMemberFactory

pytestmark = pytest.mark.django_db


def test_every_membership_table_shares_the_one_concept():
    models = membership_models()
    assert models == {"enterprise": EnterpriseMember, "provider": ProviderMember, "authority": AuthorityMember}
    assert all(issubclass(model, Membership) for model in models.values())


def test_anonymous_visitors_act_for_nobody():
    acting = acting_organisations(AnonymousUser())
    assert acting == ActingOrganisations()
    assert acting.roles == {"buyer": False, "provider": False, "officer": False}


def test_a_person_in_all_three_kinds_of_organisation_is_seen_in_each(django_assert_num_queries):
    user = UserFactory()
    first, second = EnterpriseFactory(), EnterpriseFactory()
    EnterpriseMemberFactory(enterprise=first, user=user)
    EnterpriseMemberFactory(enterprise=second, user=user)
    provider = make_provider(owner=user)
    officer = AuthorityMemberFactory(user=user)
    EnterpriseMemberFactory()  # someone else's membership never counts

    with django_assert_num_queries(1):
        acting = acting_organisations(user)

    assert acting.enterprise_ids == {first.pk, second.pk}
    assert acting.provider_ids == {provider.pk}
    assert acting.authority_ids == {officer.authority_id}
    assert acting.roles == {"buyer": True, "provider": True, "officer": True}


def test_a_membership_removed_a_moment_ago_no_longer_counts():
    member = EnterpriseMemberFactory()
    user = member.user
    assert acting_organisations(user).enterprise_ids == {member.enterprise_id}
    member.delete()
    assert acting_organisations(user).enterprise_ids == frozenset()


def test_membership_behaviour_is_the_same_for_every_kind():
    owner = EnterpriseMemberFactory(role=EnterpriseMember.Role.OWNER)
    admin = AuthorityMemberFactory(role=AuthorityMember.Role.ADMIN)
    officer = AuthorityMemberFactory(role=AuthorityMember.Role.OFFICER)
    assert owner.is_owner and owner.organisation == owner.enterprise
    assert admin.is_owner and not officer.is_owner
    assert str(admin) == f"{admin.user} @ {admin.authority}"


class _EnterprisePage(OrganisationObjectMixin, View):
    object_selector = enterprise_for_user
    not_found_message = "No such enterprise"

    def get(self, request, pk):
        return HttpResponse(self.object.name)


def test_the_object_mixin_resolves_only_the_acting_organisations_object():
    mine = EnterpriseMemberFactory()
    other = EnterpriseFactory()
    view = _EnterprisePage.as_view()

    request = RequestFactory().get("/")
    request.user = mine.user
    assert view(request, pk=mine.enterprise_id).content.decode() == mine.enterprise.name

    # Another organisation's object is a 404, the same as one that does not exist.
    for pk in (other.pk, Enterprise.objects.order_by("-pk").first().pk + 1):
        with pytest.raises(Http404):
            view(request, pk=pk)

    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    assert view(anonymous, pk=mine.enterprise_id).status_code == 302  # to the login page


def test_a_request_reads_its_memberships_once_and_a_new_request_sees_a_new_membership(django_assert_num_queries):
    """The header and the view share one read per request; the next request is not served stale."""
    user = UserFactory()
    enterprise = EnterpriseFactory()
    request = RequestFactory().get("/")
    request.user = user
    with django_assert_num_queries(1):
        assert request_organisations(request).enterprise_ids == frozenset()
        assert request_organisations(request).enterprise_ids == frozenset()
    EnterpriseMemberFactory(enterprise=enterprise, user=user)
    following = RequestFactory().get("/")
    following.user = user
    assert request_organisations(following).enterprise_ids == {enterprise.pk}
