"""Permits: numbered, rendered, sealed and recorded all or nothing; their status changes.

Issuing a permit takes three steps, so the slow one holds no lock:

A. *Reserve* its number (a short transaction of its own: the sequence row is locked only while the
   number is taken and a :class:`~signing.models.PermitNumberReservation` names it for the permit's
   issue key). The same key reserved again gets the same number back.
B. *Render and seal* the PDF (CPU and the timestamp authority) with no transaction open, so other
   processes issue at the same time, SQLite included.
C. *Record* it: the seal-use entry, the sealed document, the permit and its first event, in one
   short transaction. A second issuance of the same key fails here on the unique key and rolls back
   whole: :class:`~signing.exceptions.PermitAlreadyIssued`.

A stop between A and C leaves the reservation and nothing of the permit; issuing the same key again
(the file re-run) issues it under the reserved number. Called inside a transaction (a web request
under ``ATOMIC_REQUESTS``), :func:`permit_issue` runs the three steps in one savepoint of it: the
number lock is held until the caller commits, as before (no parallel issuance there), and a failure
leaves no number reserved. Bulk issuance, in parallel processes, is in :mod:`.permits_bulk`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.enterprises.models import Enterprise

from .. import rendering
from ..engine import SealAppearance, Sealer, SealRequest, SealResult
from ..exceptions import PermitAlreadyIssued, PermitError
from ..models import (
    AuthorityMember,
    DocumentKind,
    IssuingAuthority,
    Permit,
    PermitEvent,
    PermitNumberReservation,
    PermitSequence,
    Seal,
    SealUse,
)
from .document_signers import permit_printed_code, trust_list_invalidate
from .log import seal_log_append
from .sealing import SealAuthorisation, seal_authorise, sealed_document_record, sealing_session
from .seals import permit_seal_for


@dataclass(frozen=True)
class Citation:
    """A document a permit relies on: the label printed beside its SHA-256. ``kind`` names a kind
    of document the platform sealed and keeps (a delivery note): the verifier then checks the kept
    copy is genuine and unaltered, and a citation it cannot confirm fails the permit's check.
    Without a kind the digest is a plain file's, printed for anyone to compare."""

    label: str
    sha256: str
    kind: str = ""

    def as_json(self) -> dict:
        return {"label": self.label, "sha256": self.sha256, **({"kind": self.kind} if self.kind else {})}


@dataclass(frozen=True)
class PermitData:
    """What an officer fills in; validated by the form or the CSV reader."""

    holder: Enterprise
    matter: str
    scope: str
    conditions: str
    valid_from: dt.date
    valid_until: dt.date
    # Issuing the same key twice issues once (``PermitAlreadyIssued``); "" for no such guarantee.
    issue_key: str = ""
    # What the permit relies on, printed and recorded.
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class ReservedPermit:
    """A permit cleared to be issued (its officer's grant checked once) with its number reserved:
    what the sealing and recording steps need, and all a bulk worker process is handed for a row
    (model instances and a number; never key material)."""

    authority: IssuingAuthority
    authorisation: SealAuthorisation
    data: PermitData
    number: str
    issued_at: dt.datetime


def _already_issued(authority: IssuingAuthority, issue_key: str) -> None:
    if issue_key:
        number = (
            Permit.objects.filter(authority=authority, issue_key=issue_key).values_list("number", flat=True).first()
        )
        if number:
            raise PermitAlreadyIssued(number)


def _validate_permit_data(data: PermitData) -> None:
    if data.valid_until < data.valid_from:
        raise PermitError(_("The permit must end on or after the day it starts."))
    if not data.matter.strip() or not data.scope.strip():
        raise PermitError(_("Approval matter and scope are required."))


def _reserved_number(authority: IssuingAuthority, issue_key: str) -> str | None:
    if not issue_key:
        return None
    return (
        PermitNumberReservation.objects.filter(authority=authority, issue_key=issue_key)
        .values_list("number", flat=True)
        .first()
    )


def _permit_number_reserve(*, authority: IssuingAuthority, issue_key: str, now: dt.datetime) -> str:
    """Step A: the number reserved for ``issue_key`` (the one reserved before, if any), else the
    next of the year's sequence, reserved now. Commits at once unless the caller holds a transaction."""
    held = _reserved_number(authority, issue_key)
    if held:
        return held
    year = timezone.localdate(now).year
    try:
        with transaction.atomic():
            PermitSequence.objects.get_or_create(authority=authority, year=year)
            sequence = PermitSequence.objects.select_for_update().get(authority=authority, year=year)
            # Under the sequence lock: a run that reserved this key meanwhile has committed.
            held = _reserved_number(authority, issue_key)
            if held:
                return held
            sequence.last += 1
            sequence.save(update_fields=["last"])
            number = f"{authority.number_prefix}-{year}-{sequence.last:06d}"
            PermitNumberReservation.objects.create(
                authority=authority, number=number, issue_key=issue_key, reserved_at=now
            )
    except IntegrityError:
        # The key was reserved under another year's lock at the same moment (a run across New Year).
        held = _reserved_number(authority, issue_key)
        if held is None:
            raise
        return held
    return number


def _permit_authorise(*, authority: IssuingAuthority, actor, data: PermitData, seal: Seal) -> SealAuthorisation:
    _validate_permit_data(data)
    if not AuthorityMember.objects.filter(authority=authority, user=actor).exists():
        raise PermitError(_("Only officers of %(authority)s may issue its permits.") % {"authority": authority.name})
    _already_issued(authority, data.issue_key)
    if seal.authority_id != authority.pk:
        raise PermitError(_("The seal belongs to another authority."))
    # Checked once, before the number is reserved, so a refusal reserves nothing and its entry stays.
    return seal_authorise(seal=seal, actor=actor, document_kind=DocumentKind.PERMIT)


def _reserve(*, authority: IssuingAuthority, authorisation: SealAuthorisation, data: PermitData) -> ReservedPermit:
    now = timezone.now()
    number = _permit_number_reserve(authority=authority, issue_key=data.issue_key, now=now)
    return ReservedPermit(authority=authority, authorisation=authorisation, data=data, number=number, issued_at=now)


def permit_reserve(*, authority: IssuingAuthority, actor, data: PermitData, seal: Seal) -> ReservedPermit:
    """Check that ``actor`` may issue ``data`` with ``seal`` now (refusals logged, see
    :func:`seal_authorise`), then reserve its number (step A). Raises ``PermitAlreadyIssued`` for a
    key issued before; nothing is reserved for a refused or invalid permit."""
    authorisation = _permit_authorise(authority=authority, actor=actor, data=data, seal=seal)
    return _reserve(authority=authority, authorisation=authorisation, data=data)


def permit_issue(
    *,
    authority: IssuingAuthority,
    actor,
    data: PermitData,
    seal: Seal | None = None,
    sealer: Sealer | None = None,
) -> Permit:
    """Number, render, seal and record a permit, all or nothing (see the module's docstring).

    ``sealer`` lets a batch reuse one opened key; without it a session is opened for this permit.
    """
    seal = seal or permit_seal_for(authority)
    authorisation = _permit_authorise(authority=authority, actor=actor, data=data, seal=seal)
    # Inside the caller's transaction (a web request) the number stays locked until the caller commits
    # whatever we do, so the steps share one savepoint: a failed sealing leaves no number reserved.
    in_caller_transaction = transaction.get_connection().in_atomic_block
    with transaction.atomic() if in_caller_transaction else contextlib.nullcontext():
        reserved = _reserve(authority=authority, authorisation=authorisation, data=data)
        if sealer is not None:
            return permit_seal_and_record(reserved=reserved, sealer=sealer)
        with sealing_session(seal=seal) as own_sealer:
            return permit_seal_and_record(reserved=reserved, sealer=own_sealer)


def permit_seal_and_record(*, reserved: ReservedPermit, sealer: Sealer) -> Permit:
    """Steps B and C for a reserved permit: ``PermitAlreadyIssued`` when its key was issued meanwhile."""
    permit, result = _permit_seal(reserved=reserved, sealer=sealer)
    return _permit_record(reserved=reserved, permit=permit, result=result)


def _permit_seal(*, reserved: ReservedPermit, sealer: Sealer) -> tuple[Permit, SealResult]:
    """Step B: render and seal, with no transaction of ours open. The permit is built, not saved."""
    authority, data, number, now = reserved.authority, reserved.data, reserved.number, reserved.issued_at
    seal = reserved.authorisation.seal
    permit = Permit(
        number=number,
        authority=authority,
        holder=data.holder,
        matter=data.matter.strip(),
        scope=data.scope.strip(),
        conditions=data.conditions.strip(),
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        issued_by=reserved.authorisation.actor,
        issued_at=now,
        issue_key=data.issue_key,
        citations=[citation.as_json() for citation in data.citations],
    )
    content = rendering.PermitContent(
        number=number,
        authority_name=authority.name,
        authority_name_zh=authority.name_zh,
        holder_name=data.holder.name,
        holder_name_zh=data.holder.name_zh,
        holder_credit_code=data.holder.credit_code,
        matter=permit.matter,
        scope=permit.scope,
        conditions=permit.conditions,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        issued_on=timezone.localdate(now),
        verification_url=permit.verification_url,
        verification_code=permit.verification_code,
        signed_code=permit_printed_code(permit=permit),
        citations=tuple((citation.label, citation.sha256) for citation in data.citations),
    )
    # What seal_apply seals; its log entry is written in step C, with the record, not now.
    result = sealer.seal(
        SealRequest(
            pdf=rendering.render_permit(content),
            level=settings.SIGNING_PADES_LEVEL,
            reason=_("Issued permit %(number)s") % {"number": number},
            location=seal.owner_name,
            appearance=SealAppearance(box=rendering.STAMP_BOX, stamp_png=bytes(seal.stamp_png)),
        )
    )
    return permit, result


def _permit_record(*, reserved: ReservedPermit, permit: Permit, result: SealResult) -> Permit:
    """Step C: the seal-use entry, the sealed PDF, the permit and its first event, in one transaction."""
    authorisation = reserved.authorisation
    try:
        with transaction.atomic():
            seal_log_append(
                seal=authorisation.seal,
                actor=authorisation.actor,
                document_kind=authorisation.document_kind,
                document_number=permit.number,
                document_sha256=result.sha256,
                outcome=SealUse.Outcome.SEALED,
            )
            permit.document = sealed_document_record(
                kind=DocumentKind.PERMIT, number=permit.number, seal=authorisation.seal, result=result
            )
            permit.sha256 = result.sha256
            permit.save(force_insert=True)
            PermitEvent.objects.create(
                permit=permit,
                action=PermitEvent.Action.ISSUED,
                to_status=Permit.Status.VALID,
                actor=permit.issued_by,
                at=permit.issued_at,
            )
    except IntegrityError:
        # Another run issued this key (under the same reserved number) first: ours rolled back whole.
        _already_issued(reserved.authority, permit.issue_key)
        raise
    return permit


_TRANSITIONS = {
    PermitEvent.Action.SUSPENDED: ({Permit.Status.VALID}, Permit.Status.SUSPENDED),
    PermitEvent.Action.REINSTATED: ({Permit.Status.SUSPENDED}, Permit.Status.VALID),
    PermitEvent.Action.REVOKED: (
        {Permit.Status.VALID, Permit.Status.SUSPENDED, Permit.Status.EXPIRED},
        Permit.Status.REVOKED,
    ),
}


def _permit_change(*, permit: Permit, actor, action: str, reason: str) -> Permit:
    if not reason.strip():
        raise PermitError(_("Give a reason; it is shown in the permit's public record."))
    if actor is not None and not AuthorityMember.objects.filter(authority_id=permit.authority_id, user=actor).exists():
        raise PermitError(_("Only officers of the issuing authority may change this permit."))
    with transaction.atomic():
        permit = Permit.objects.select_for_update().get(pk=permit.pk)
        allowed_from, to_status = _TRANSITIONS[action]
        if permit.status not in allowed_from:
            raise PermitError(
                _("A %(status)s permit cannot be %(action)s.")
                % {"status": permit.get_status_display().lower(), "action": PermitEvent.Action(action).label.lower()}
            )
        now = timezone.now()
        from_status = permit.status
        permit.status = to_status
        permit.status_reason = reason.strip()
        permit.status_changed_at = now
        permit.save(update_fields=["status", "status_reason", "status_changed_at"])
        PermitEvent.objects.create(
            permit=permit,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason.strip(),
            actor=actor,
            at=now,
        )
        trust_list_invalidate()  # the offline trust list names suspended and revoked permits
    return permit


def permit_suspend(*, permit: Permit, actor, reason: str) -> Permit:
    return _permit_change(permit=permit, actor=actor, action=PermitEvent.Action.SUSPENDED, reason=reason)


def permit_reinstate(*, permit: Permit, actor, reason: str) -> Permit:
    return _permit_change(permit=permit, actor=actor, action=PermitEvent.Action.REINSTATED, reason=reason)


def permit_revoke(*, permit: Permit, actor, reason: str) -> Permit:
    """Revocation keeps the permit, its PDF and its history; only the status changes."""
    return _permit_change(permit=permit, actor=actor, action=PermitEvent.Action.REVOKED, reason=reason)


@transaction.atomic
def permits_expire(*, today: dt.date | None = None) -> int:
    """Mark valid permits past their end date as expired (periodic task)."""
    today = today or timezone.localdate()
    count = 0
    for permit in Permit.objects.select_for_update().filter(status=Permit.Status.VALID, valid_until__lt=today):
        permit.status = Permit.Status.EXPIRED
        permit.status_reason = "validity period ended"
        permit.status_changed_at = timezone.now()
        permit.save(update_fields=["status", "status_reason", "status_changed_at"])
        PermitEvent.objects.create(
            permit=permit,
            action=PermitEvent.Action.EXPIRED,
            from_status=Permit.Status.VALID,
            to_status=Permit.Status.EXPIRED,
            reason=permit.status_reason,
        )
        count += 1
    return count
