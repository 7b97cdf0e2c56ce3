"""Who is acting: the organisations a person belongs to, read from every membership table."""

from dataclasses import dataclass

from django.apps import apps
from django.db.models import CharField, F, Value

from .models import Membership


def membership_models() -> dict[str, type[Membership]]:
    """Each installed membership model by its ``kind`` (core imports none of them by name)."""
    return {model.kind: model for model in apps.get_models() if issubclass(model, Membership)}


@dataclass(frozen=True)
class ActingOrganisations:
    """The ids of the organisations a person acts for, by kind. Empty for anonymous visitors."""

    enterprise_ids: frozenset[int] = frozenset()
    provider_ids: frozenset[int] = frozenset()
    authority_ids: frozenset[int] = frozenset()

    @property
    def roles(self) -> dict[str, bool]:
        """What the site's header shows: buyer, provider, officer."""
        return {
            "buyer": bool(self.enterprise_ids),
            "provider": bool(self.provider_ids),
            "officer": bool(self.authority_ids),
        }


def request_organisations(request) -> ActingOrganisations:
    """:func:`acting_organisations` of the request's user, read once per request: the page's view
    and the header it renders ask the same question. Only for reading; a service that changes
    memberships asks :func:`acting_organisations` afresh."""
    memo = getattr(request, "_acting_organisations", None)
    if memo is None or memo[0] is not request.user:
        memo = (request.user, acting_organisations(request.user))
        request._acting_organisations = memo
    return memo[1]


def acting_organisations(user) -> ActingOrganisations:
    """Every organisation ``user`` belongs to, by kind, in one query.

    Not cached across requests on purpose: a membership added or removed a moment ago (another tab)
    must count at once; callers that ask twice keep the answer (:func:`request_organisations`).
    """
    if user is None or not user.is_authenticated:
        return ActingOrganisations()
    ids: dict[str, set[int]] = {"enterprise": set(), "provider": set(), "authority": set()}
    queries = [
        model.objects.filter(user_id=user.pk)
        .order_by()  # a compound statement (UNION) takes no ORDER BY in its parts
        .annotate(acting_kind=Value(kind, output_field=CharField()), organisation=F(model.organisation_field))
        .values_list("acting_kind", "organisation")
        for kind, model in membership_models().items()
    ]
    if queries:
        first, *rest = queries
        for kind, organisation_id in first.union(*rest, all=True):
            ids[kind].add(organisation_id)
    return ActingOrganisations(
        enterprise_ids=frozenset(ids["enterprise"]),
        provider_ids=frozenset(ids["provider"]),
        authority_ids=frozenset(ids["authority"]),
    )
