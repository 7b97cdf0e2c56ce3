"""Fixed-term bans: staff impose and lift them; the provider's team may appeal one, and staff decide.

A ban's force is computed from its dates (``ProviderBan.objects.in_force``), so it ends by itself
on its end date. Each change writes a ``ProviderEvent`` in its transaction and emails the team
after commit.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import User
from marketplace.core.conflicts import Act, records_conflicts, require_impartial

from .. import emails, signals
from ..models import Provider, ProviderBan, ProviderEvent
from ._base import TransitionNotAllowed, _event, _lock, _require_reason, require_member, require_staff

Term = ProviderBan.Term
Appeal = ProviderBan.AppealStatus


def ban_end(*, term: str, starts_on: datetime.date) -> datetime.date | None:
    """The first day the provider is free again; None for a permanent ban."""
    if term == Term.PERMANENT:
        return None
    return starts_on + relativedelta(months=int(term))


@records_conflicts
@transaction.atomic
def provider_ban_impose(
    *, provider: Provider, reviewer: User, term: str, reason: str, starts_on: datetime.date | None = None
) -> ProviderBan:
    """Ban ``provider`` from quoting and from being listed for ``term`` (3, 6, 12 months or permanent)."""
    require_staff(reviewer)
    if term not in Term.values:
        raise ValidationError({"term": _("Choose 3, 6 or 12 months, or permanent.")}, code="term")
    reason = _require_reason(reason)
    provider = _lock(provider)
    require_impartial(user=reviewer, act=Act.IMPOSE_BAN, provider=provider, subject=f"ban of {provider}")
    starts_on = starts_on or timezone.localdate()
    ends_on = ban_end(term=term, starts_on=starts_on)
    ban = ProviderBan.objects.create(
        provider=provider, term=term, starts_on=starts_on, ends_on=ends_on, reason=reason, imposed_by=reviewer
    )
    _event(
        provider,
        ProviderEvent.Kind.BANNED,
        actor=reviewer,
        reason=reason,
        ban=ban.pk,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat() if ends_on else None,
    )
    emails.notify_on_commit(provider, ProviderEvent.Kind.BANNED, reason=reason, ban=ban)
    return ban


def _lift(ban: ProviderBan, *, by: User, reason: str) -> None:
    ban.lifted_at = timezone.now()
    ban.lifted_by = by
    ban.lift_reason = reason
    _event(ban.provider, ProviderEvent.Kind.BAN_LIFTED, actor=by, reason=reason, ban=ban.pk)
    emails.notify_on_commit(ban.provider, ProviderEvent.Kind.BAN_LIFTED, reason=reason, ban=ban)


def _lock_ban(ban: ProviderBan) -> ProviderBan:
    ban = ProviderBan.objects.select_for_update().select_related("provider").get(pk=ban.pk)
    if ban.lifted_at is not None:
        raise TransitionNotAllowed(_("This ban has already been lifted."), code="lifted")
    return ban


@transaction.atomic
def provider_ban_lift(*, ban: ProviderBan, reviewer: User, reason: str) -> ProviderBan:
    """End a ban early, with a reason the provider sees."""
    require_staff(reviewer)
    reason = _require_reason(reason)
    ban = _lock_ban(ban)
    _lift(ban, by=reviewer, reason=reason)
    ban.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    return ban


@transaction.atomic
def provider_ban_appeal_file(*, ban: ProviderBan, user: User, reason: str) -> ProviderBan:
    """A member of the banned provider appeals the ban, once."""
    require_member(ban.provider, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Explain why the ban is wrong.")}, code="reason_required")
    ban = _lock_ban(ban)
    if ban.appeal_status:
        raise TransitionNotAllowed(_("This ban has already been appealed."), code="appealed")
    ban.appeal_status, ban.appeal_reason = Appeal.PENDING, reason
    ban.appeal_filed_by, ban.appeal_filed_at = user, timezone.now()
    ban.save(update_fields=["appeal_status", "appeal_reason", "appeal_filed_by", "appeal_filed_at"])
    _event(ban.provider, ProviderEvent.Kind.BAN_APPEALED, actor=user, reason=reason, ban=ban.pk)
    return ban


@records_conflicts
@transaction.atomic
def provider_ban_appeal_decide(*, ban: ProviderBan, reviewer: User, uphold: bool, decision: str) -> ProviderBan:
    """Staff decide an appeal with a reason both sides see; an upheld appeal lifts the ban."""
    require_staff(reviewer)
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError({"decision": _("Write the decision with its reason.")}, code="decision_required")
    ban = _lock_ban(ban)
    require_impartial(user=reviewer, act=Act.DECIDE_APPEAL, provider=ban.provider, subject=f"ban appeal {ban.pk}")
    if ban.appeal_status != Appeal.PENDING:
        raise TransitionNotAllowed(_("This ban has no pending appeal."), code="no_appeal")
    ban.appeal_status = Appeal.UPHELD if uphold else Appeal.REJECTED
    ban.appeal_decision, ban.appeal_decided_by, ban.appeal_decided_at = decision, reviewer, timezone.now()
    fields = ["appeal_status", "appeal_decision", "appeal_decided_by", "appeal_decided_at"]
    if uphold:
        _lift(ban, by=reviewer, reason=decision)
        fields += ["lifted_at", "lifted_by", "lift_reason"]
    else:
        _event(ban.provider, ProviderEvent.Kind.BAN_APPEAL_REJECTED, actor=reviewer, reason=decision, ban=ban.pk)
        emails.notify_on_commit(ban.provider, ProviderEvent.Kind.BAN_APPEAL_REJECTED, reason=decision, ban=ban)
    ban.save(update_fields=fields)
    return ban


def provider_bans_boundary_notify(*, today: datetime.date | None = None) -> list[int]:
    """Tell listeners (search) which providers' bans start or ended on ``today`` or the day before
    (a missed run is caught up), so cached copies of their listings follow the dates. Idempotent."""
    today = today or timezone.localdate()
    days = [today - datetime.timedelta(days=1), today]
    provider_ids = sorted(
        set(
            ProviderBan.objects.filter(
                models.Q(starts_on__in=days) | models.Q(ends_on__in=days), lifted_at__isnull=True
            ).values_list("provider_id", flat=True)
        )
    )
    if provider_ids:
        signals.ban_boundary.send(sender=ProviderBan, provider_ids=provider_ids)
    return provider_ids
