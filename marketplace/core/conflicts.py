"""Nobody on both sides of a deal: the one check every app asks before an act across a buyer and a provider.

A person who belongs to both the buying enterprise and the provider, or organisations that are the same
or related (the same unified social credit code, the same legal representative, a declared related
party), may not act on the other side: quote, choose, object, accept, ask for a revision, dispute, rate,
evaluate, hire directly. Staff may not decide a case (objection, dispute, appeal, certification) of an
organisation they belong to; an authority's officer may not evaluate an order of an enterprise they
belong to.

Services call ``require_no_conflict`` / ``require_impartial`` inside their transaction; it raises
``ConflictOfInterest`` (a ``ValidationError`` whose message says why). Decorate the service with
``@records_conflicts`` *above* ``@transaction.atomic``: the service's savepoint rolls back, then the
refusal is written in the caller's transaction (a view's request), where staff see it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .models import ConflictAttempt, RelatedParty
from .selectors import acting_organisations

Reason = ConflictAttempt.Reason
Act = ConflictAttempt.Act

_MESSAGES = {
    Reason.SAME_PERSON: _(
        "You belong to both %(enterprise)s and %(provider)s, so you cannot act for one side of their deal."
    ),
    Reason.SAME_CREDIT_CODE: _(
        "%(enterprise)s and %(provider)s share one unified social credit code: they cannot deal with each other."
    ),
    Reason.SAME_LEGAL_REPRESENTATIVE: _(
        "%(enterprise)s and %(provider)s have the same legal representative: they cannot deal with each other."
    ),
    Reason.RELATED_PARTY: _(
        "%(enterprise)s and %(provider)s are recorded as related parties: they cannot deal with each other."
    ),
    Reason.OWN_CASE: _(
        "You belong to %(organisation)s, a party to this case, so another member of staff must decide it."
    ),
}


@dataclass(frozen=True)
class Conflict:
    act: str
    reason: str
    user_id: int | None
    enterprise_id: int | None
    enterprise_name: str
    provider_id: int | None
    provider_name: str
    subject: str


class ConflictOfInterest(ValidationError):
    """Refused: the actor sits on both sides. The message says why; ``conflict`` is what staff see."""

    def __init__(self, conflict: Conflict, message):
        super().__init__(message, code="conflict_of_interest")
        self.conflict = conflict
        self.recorded = False


def _same(a: str, b: str) -> bool:
    return bool(a and b) and "".join(a.split()).casefold() == "".join(b.split()).casefold()


def conflict_reason(*, user, enterprise, provider) -> str | None:
    """Why ``user`` (or their organisations) may not act between ``enterprise`` and ``provider``; None if fair."""
    if user is not None and user.is_authenticated:
        acting = acting_organisations(user)
        if enterprise.pk in acting.enterprise_ids and provider.pk in acting.provider_ids:
            return Reason.SAME_PERSON
    if _same(enterprise.credit_code, provider.credit_code):
        return Reason.SAME_CREDIT_CODE
    if _same(getattr(enterprise, "legal_representative", ""), getattr(provider, "legal_representative", "")):
        return Reason.SAME_LEGAL_REPRESENTATIVE
    if RelatedParty.objects.filter(enterprise_id=enterprise.pk, provider_id=provider.pk).exists():
        return Reason.RELATED_PARTY
    return None


def _conflict(*, act, reason, user, enterprise, provider, subject) -> Conflict:
    return Conflict(
        act=act,
        reason=reason,
        user_id=getattr(user, "pk", None),
        enterprise_id=getattr(enterprise, "pk", None),
        enterprise_name=str(enterprise or "")[:200],
        provider_id=getattr(provider, "pk", None),
        provider_name=str(provider or "")[:200],
        subject=str(subject)[:200],
    )


def require_no_conflict(*, user, act: str, enterprise, provider, subject="") -> None:
    """Refuse an act across ``enterprise`` (the buyer) and ``provider`` when anyone sits on both sides."""
    reason = conflict_reason(user=user, enterprise=enterprise, provider=provider)
    if reason is None:
        return
    message = _MESSAGES[reason] % {"enterprise": enterprise, "provider": provider}
    raise ConflictOfInterest(
        _conflict(act=act, reason=reason, user=user, enterprise=enterprise, provider=provider, subject=subject),
        message,
    )


def require_impartial(*, user, act: str, enterprise=None, provider=None, subject="") -> None:
    """Refuse a decision (staff's, or an officer's evaluation) by a member of either party to the case."""
    acting = acting_organisations(user)
    for organisation, ids in ((enterprise, acting.enterprise_ids), (provider, acting.provider_ids)):
        if organisation is not None and organisation.pk in ids:
            raise ConflictOfInterest(
                _conflict(
                    act=act,
                    reason=Reason.OWN_CASE,
                    user=user,
                    enterprise=enterprise,
                    provider=provider,
                    subject=subject,
                ),
                _MESSAGES[Reason.OWN_CASE] % {"organisation": organisation},
            )


def conflict_record(conflict: Conflict) -> ConflictAttempt:
    return ConflictAttempt.objects.create(
        user_id=conflict.user_id,
        act=conflict.act,
        reason=conflict.reason,
        enterprise_id=conflict.enterprise_id,
        enterprise_name=conflict.enterprise_name,
        provider_id=conflict.provider_id,
        provider_name=conflict.provider_name,
        subject=conflict.subject,
    )


def records_conflicts(service):
    """Put above ``@transaction.atomic``: a refused act is recorded after the service's own changes roll back."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except ConflictOfInterest as refused:
            if not refused.recorded:  # a decorated service calling another records the refusal once
                conflict_record(refused.conflict)
                refused.recorded = True
            raise

    return wrapper


# --- related parties: declared by either side, recorded by staff ------------------------------------------


def _organisation_models():
    field = RelatedParty._meta.get_field
    return field("enterprise").related_model, field("provider").related_model


@transaction.atomic
def related_party_declare(*, user, relation: str, enterprise=None, provider=None, other_credit_code: str = ""):
    """Declare that an enterprise and a provider are related (they will not deal with each other).

    A member declares for their own organisation (``enterprise`` or ``provider``) and names the other side by
    its unified social credit code; staff pass both organisations. The same pair declared twice is one record.
    """
    enterprise_model, provider_model = _organisation_models()
    relation = (relation or "").strip()
    if not relation:
        raise ValidationError({"relation": _("Say how the two are related.")}, code="relation_required")
    acting = acting_organisations(user)
    if user.is_staff and enterprise is not None and provider is not None:
        declared_by = RelatedParty.DeclaredBy.STAFF
    elif enterprise is not None and enterprise.pk in acting.enterprise_ids:
        declared_by = RelatedParty.DeclaredBy.ENTERPRISE
        provider = provider_model.objects.filter(credit_code=(other_credit_code or "").strip().upper()).first()
        if provider is None:
            raise ValidationError(
                {"other_credit_code": _("No provider on the platform has that unified social credit code.")},
                code="unknown_organisation",
            )
    elif provider is not None and provider.pk in acting.provider_ids:
        declared_by = RelatedParty.DeclaredBy.PROVIDER
        enterprise = enterprise_model.objects.filter(credit_code=(other_credit_code or "").strip().upper()).first()
        if enterprise is None:
            raise ValidationError(
                {"other_credit_code": _("No enterprise on the platform has that unified social credit code.")},
                code="unknown_organisation",
            )
    else:
        raise ValidationError(_("You may declare related parties only for your own organisation."), code="not_member")
    party, _created = RelatedParty.objects.get_or_create(
        enterprise=enterprise,
        provider=provider,
        defaults={"relation": relation[:300], "declared_by": declared_by, "declared_by_user": user},
    )
    return party


def related_parties_for(*, user):
    """The declarations that concern the user's organisations (every one, for staff)."""
    parties = RelatedParty.objects.select_related("enterprise", "provider", "declared_by_user")
    if user.is_staff:
        return parties
    acting = acting_organisations(user)
    return parties.filter(
        models.Q(enterprise_id__in=acting.enterprise_ids) | models.Q(provider_id__in=acting.provider_ids)
    )
