"""Every change to a credit record: recompute, appeal, decide an appeal, suspend below the threshold.

``provider_credit_recompute`` is the only writer of ``Provider.credit_score / credit_grade /
credit_computed_at`` (the snapshot credit keeps on the provider). Nothing calls it for an input
directly: ``signals`` hears every change of an input (a rating, an evaluation, a dispute decision,
an objection decision, an order's acceptance, an appeal decision) and asks for it with
``recompute_on_commit``, so the score is computed from committed data.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import User
from marketplace.core.commit import on_commit_batched
from marketplace.core.conflicts import Act, records_conflicts, require_impartial
from providers import services as provider_services
from providers.models import Provider

from . import formula, selectors
from .models import CreditAppeal, NegativeEvent


@dataclass(frozen=True)
class Result:
    score: Decimal | None
    grade: int | None
    changed: bool


@transaction.atomic
def provider_credit_recompute(*, provider: Provider, now=None) -> Result:
    """Compute the score from the provider's entries and store it on the provider row."""
    now = now or timezone.now()
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    record = selectors.credit_record(provider=provider, now=now)
    score, grade = record.breakdown.score, record.breakdown.grade
    old_grade = provider.credit_grade
    changed = (score, grade) != (provider.credit_score, old_grade)
    provider.credit_score, provider.credit_grade, provider.credit_computed_at = score, grade, now
    if changed:
        # A save, so search re-indexes the listings that rank by grade when the grade moved (a
        # score-only change writes fields search does not index: ``search.signals.NOT_INDEXED``).
        fields = ["credit_score", "credit_computed_at", "updated_at"]
        if grade != old_grade:
            fields.append("credit_grade")
        provider.save(update_fields=fields)
    else:
        Provider.objects.filter(pk=provider.pk).update(credit_computed_at=now)
    return Result(score=score, grade=grade, changed=changed)


def providers_credit_recompute_all(*, now=None) -> int:
    """Recompute every provider that has a public record or a score (one transaction each)."""
    ids = Provider.objects.filter(
        status__in=[Provider.Status.CERTIFIED, Provider.Status.SUSPENDED, Provider.Status.REVOKED]
    ).values_list("pk", flat=True)
    changed = 0
    for pk in list(ids):
        changed += provider_credit_recompute(provider=Provider(pk=pk), now=now).changed
    return changed


def _recompute(provider_ids: list[int]) -> None:
    # A provider deleted in the same transaction (its ratings cascading) has nothing to recompute.
    for pk in Provider.objects.filter(pk__in=provider_ids).order_by("pk").values_list("pk", flat=True):
        provider_credit_recompute(provider=Provider(pk=pk))


def recompute_on_commit(provider_id: int | None) -> None:
    """Recompute after the current transaction commits (at once outside one), once per provider
    however many of its inputs the transaction changed (a dispute decision saves the dispute and
    the order). Robust: the decision is committed already, so a failed recompute is logged, not
    shown as an error; the nightly recompute catches up."""
    on_commit_batched(_recompute, [provider_id], robust=True)


# --- Appeals ---------------------------------------------------------------------------------------


@transaction.atomic
def credit_appeal_file(*, provider: Provider, user: User, source: str, source_id: int, reason: str) -> CreditAppeal:
    """A member of ``provider`` challenges one entry of its own record."""
    provider_services.require_member(provider, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Explain why this entry is wrong.")}, code="reason_required")
    entry = selectors.credit_entry(provider=provider, source=source, source_id=source_id)
    if entry is None:
        raise CreditAppeal.DoesNotExist("No such entry in this provider's record")
    if not entry.appealable:
        raise ValidationError(_("This entry already has an open or upheld appeal."), code="already_appealed")
    summary = f"{entry.source_label} · {entry.date:%Y-%m-%d} · {entry.value} · {entry.detail}"[:300]
    try:
        with transaction.atomic():
            return CreditAppeal.objects.create(
                provider=provider,
                source=source,
                source_id=source_id,
                entry_summary=summary,
                reason=reason,
                filed_by=user,
            )
    except IntegrityError:
        raise ValidationError(_("This entry already has an open or upheld appeal."), code="already_appealed") from None


@records_conflicts
@transaction.atomic
def credit_appeal_decide(*, appeal: CreditAppeal, reviewer: User, uphold: bool, decision: str) -> CreditAppeal:
    """Staff uphold (the entry leaves the score) or reject an appeal, with a reason both sides see."""
    provider_services.require_staff(reviewer)
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError({"decision": _("Write the decision with its reason.")}, code="decision_required")
    appeal = CreditAppeal.objects.select_for_update().select_related("provider").get(pk=appeal.pk)
    require_impartial(user=reviewer, act=Act.DECIDE_APPEAL, provider=appeal.provider, subject=f"appeal {appeal.pk}")
    if appeal.status != CreditAppeal.Status.PENDING:
        raise provider_services.TransitionNotAllowed(_("This appeal has already been decided."), code="decided")
    appeal.status = CreditAppeal.Status.UPHELD if uphold else CreditAppeal.Status.REJECTED
    appeal.decision = decision
    appeal.decided_by = reviewer
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["status", "decision", "decided_by", "decided_at"])  # recomputes: signals
    return appeal


# --- Negative behaviour staff record ---------------------------------------------------------------


@transaction.atomic
def negative_event_record(
    *, provider: Provider, reviewer: User, kind: str, occurred_on, evidence: str
) -> NegativeEvent:
    """Staff record a negative-behaviour event no other table tells (a declined award, an unsigned
    contract, a false qualification) with its evidence; the score is recomputed (``signals``)."""
    provider_services.require_staff(reviewer)
    errors = {}
    if kind not in NegativeEvent.Kind.values:
        errors["kind"] = _("Choose what happened.")
    evidence = (evidence or "").strip()
    if not evidence:
        errors["evidence"] = _("Give the evidence: what happened, and the document or record that shows it.")
    if occurred_on is None:
        errors["occurred_on"] = _("Give the date it happened.")
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    return NegativeEvent.objects.create(
        provider=provider, kind=kind, occurred_on=occurred_on, evidence=evidence, recorded_by=reviewer
    )


# --- Suspension ------------------------------------------------------------------------------------


@transaction.atomic
def provider_credit_suspend(*, provider: Provider, reviewer: User, reason: str) -> Provider:
    """Suspend a certified provider whose credit score is below ``CREDIT_SUSPEND_THRESHOLD``."""
    provider_services.require_staff(reviewer)
    config = formula.Config.from_settings()
    current = Provider.objects.get(pk=provider.pk)
    if current.credit_score is None or current.credit_score >= config.suspend_threshold:
        raise ValidationError(
            _("Only a provider whose credit score is below %(threshold)s can be suspended from here."),
            code="above_threshold",
            params={"threshold": config.suspend_threshold},
        )
    return provider_services.provider_suspend(provider=current, reviewer=reviewer, reason=reason)
