"""Every change to a case, one function per use case, each in a transaction, each checking who acts.

Refusals are ``ValidationError`` with a message a person can act on (views show them)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.enterprises.selectors import enterprises_for_user
from signing.selectors import authorities_for_user

from . import selectors
from .models import ApprovalMatter, Case, CaseOrder, CaseRequest, CaseSubmission

S = Case.Status


def _member(case_or_enterprise, user) -> None:
    enterprise = getattr(case_or_enterprise, "enterprise", case_or_enterprise)
    if not enterprises_for_user(user=user).filter(pk=enterprise.pk).exists():
        raise ValidationError(_("You do not act for this enterprise."), code="not_member")


def _officer(case: Case, user) -> None:
    if not authorities_for_user(user=user).filter(pk=case.matter.authority_id).exists():
        raise ValidationError(
            _("Only an officer of the authority that decides this matter may do this."), code="not_officer"
        )


def _editable(case: Case) -> None:
    if case.status not in (S.OPEN, S.RETURNED):
        raise ValidationError(_("This case is with the authority; it cannot change now."), code="not_editable")


@transaction.atomic
def case_open(*, enterprise, user, matter: ApprovalMatter, project_name: str, site: str, region: str) -> Case:
    _member(enterprise, user)
    if not matter.is_public:
        raise ValidationError(_("This approval matter is not published."), code="not_public")
    case = Case.objects.create(
        enterprise=enterprise, matter=matter, project_name=project_name, site=site, region=region, opened_by=user
    )
    case.code = f"AC{timezone.localdate(case.opened_at):%Y}{case.pk:06d}"
    case.save(update_fields=["code"])
    return case


def _attachable(case: Case, user, candidates, pk: int, refusal: str):
    """The candidate ``pk`` among ``candidates`` (the enterprise's, for a required item, in no case),
    for a member of the case's enterprise while the case may change; refused with ``refusal`` otherwise."""
    _member(case, user)
    _editable(case)
    found = candidates.filter(pk=pk).first()
    if found is None:
        raise ValidationError(refusal, code="not_attachable")
    return found


@transaction.atomic
def case_attach_order(*, case: Case, user, service_order_id: int) -> CaseOrder:
    """Put one of the enterprise's orders for a required service into the case."""
    refusal = _(
        "That order cannot join this case: it must be your enterprise's, for a service this approval "
        "requires, and in no other case."
    )
    service_order = _attachable(case, user, selectors.attachable_orders(case), service_order_id, refusal)
    return CaseOrder.objects.create(case=case, service_order=service_order)


@transaction.atomic
def case_attach_request(*, case: Case, user, request_id: int) -> CaseRequest:
    """Put one of the enterprise's requests for quotes into the case (its award joins with it)."""
    refusal = _(
        "That request cannot join this case: it must be your enterprise's, for a service this approval "
        "requires, and in no other case."
    )
    request = _attachable(case, user, selectors.attachable_requests(case), request_id, refusal)
    return CaseRequest.objects.create(case=case, request=request)


def _accepted_note(service_order):
    """The sealed note of the delivery the buyer accepted (the latest), or None."""
    notes = [note for note in service_order.delivery_notes.all() if note.accepted_at]
    return max(notes, key=lambda note: note.sequence) if notes else None


def _snapshot(steps) -> list[dict]:
    """What the officer is shown of each relied-on order, frozen at submission: the provider as it
    stood then, and the sealed delivery note the buyer accepted with the files it lists."""
    rows = []
    for step in steps:
        so = step.order
        provider = so.provider
        note = _accepted_note(so)
        rows.append(
            {
                "service_item": step.category.name,
                "service_item_zh": step.category.name_zh,
                "order": so.order.number,
                "order_id": so.pk,
                "provider": provider.name,
                "provider_zh": provider.name_zh,
                "provider_credit_code": provider.credit_code,
                "provider_status": provider.status,
                "credit_grade": provider.credit_grade,
                "credit_score": str(provider.credit_score) if provider.credit_score is not None else None,
                "accepted_at": so.accepted_at.isoformat(),
                "note": {"number": note.number, "sha256": note.sha256, "token": note.token, "id": note.pk},
                "files": [{"name": f["name"], "size": f["size"], "sha256": f["sha256"]} for f in note.files],
            }
        )
    return rows


@transaction.atomic
def case_submit(*, case: Case, user) -> CaseSubmission:
    """Submit the case to the authority: every required service must have an accepted delivery,
    attested by a sealed delivery note (what the permit will cite)."""
    case = Case.objects.select_for_update().select_related("matter").get(pk=case.pk)
    _member(case, user)
    _editable(case)
    steps = selectors.service_steps(case)
    missing = [step.category.localized("name") for step in steps if not step.done]
    if missing:
        raise ValidationError(
            _("Not yet: these required services have no accepted delivery: %(items)s.") % {"items": ", ".join(missing)},
            code="incomplete",
        )
    unattested = [step.order.order.number for step in steps if _accepted_note(step.order) is None]
    if unattested:
        raise ValidationError(
            _(
                "These orders were accepted without a sealed delivery note, so the authority could not rely on "
                "them: %(orders)s. Hire the service again for this case."
            )
            % {"orders": ", ".join(unattested)},
            code="no_delivery_note",
        )
    case.status = S.SUBMITTED
    case.save(update_fields=["status"])
    return CaseSubmission.objects.create(case=case, submitted_by=user, snapshot=_snapshot(steps))


@transaction.atomic
def case_decide(*, case: Case, user, accept: bool, reason: str = "") -> Case:
    """The authority accepts the submission, or returns it with the reasons for correction."""
    case = Case.objects.select_for_update().select_related("matter").get(pk=case.pk)
    _officer(case, user)
    if case.status != S.SUBMITTED:
        raise ValidationError(_("Only a submitted case can be decided."), code="not_submitted")
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError(_("Say what must be corrected."), code="reason_required")
    case.status = S.ACCEPTED if accept else S.RETURNED
    case.save(update_fields=["status"])
    # A submitted case has exactly one pending submission: the one ``case_submit`` made.
    submission = case.submissions.get(decision=CaseSubmission.Decision.PENDING)
    submission.decision = CaseSubmission.Decision.ACCEPTED if accept else CaseSubmission.Decision.RETURNED
    submission.decided_by, submission.decided_at, submission.reason = user, timezone.now(), reason
    submission.save(update_fields=["decision", "decided_by", "decided_at", "reason"])
    return case


@transaction.atomic
def case_permit_link(*, case: Case, user, permit) -> Case:
    """Record the permit issued from an accepted case."""
    case = Case.objects.select_for_update().select_related("matter").get(pk=case.pk)
    _officer(case, user)
    if case.status != S.ACCEPTED:
        raise ValidationError(_("A permit is issued from an accepted case only."), code="not_accepted")
    case.permit, case.status = permit, S.PERMIT_ISSUED
    case.save(update_fields=["permit", "status"])
    return case
