"""Permits: numbered, rendered, sealed and recorded all or nothing; their status changes; bulk issuance."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.enterprises.models import Enterprise

from .. import rendering
from ..engine import GrantRequired, PermitError, SealAppearance, Sealer, SealingError, SealNotUsable, SealResult
from ..exceptions import PermitAlreadyIssued
from ..models import AuthorityMember, DocumentKind, IssuingAuthority, Permit, PermitEvent, PermitSequence, Seal
from .document_signers import permit_printed_code, trust_list_invalidate
from .sealing import SealAuthorisation, seal_apply, seal_authorise, sealed_document_record, sealing_session
from .seals import permit_seal_for


def _next_permit_number(authority: IssuingAuthority, year: int) -> str:
    PermitSequence.objects.get_or_create(authority=authority, year=year)
    seq = PermitSequence.objects.select_for_update().get(authority=authority, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{authority.number_prefix}-{year}-{seq.last:06d}"


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


def permit_issue(
    *,
    authority: IssuingAuthority,
    actor,
    data: PermitData,
    seal: Seal | None = None,
    sealer: Sealer | None = None,
) -> Permit:
    """Number, render, seal and record a permit, all or nothing.

    ``sealer`` lets a batch reuse one opened key; without it a session is opened for this permit.
    """
    _validate_permit_data(data)
    if not AuthorityMember.objects.filter(authority=authority, user=actor).exists():
        raise PermitError(_("Only officers of %(authority)s may issue its permits.") % {"authority": authority.name})
    _already_issued(authority, data.issue_key)
    seal = seal or permit_seal_for(authority)
    if seal.authority_id != authority.pk:
        raise PermitError(_("The seal belongs to another authority."))
    # The grant is checked here, once, before the main transaction, so a refusal's entry survives.
    authorisation = seal_authorise(seal=seal, actor=actor, document_kind=DocumentKind.PERMIT)
    if sealer is not None:
        return _permit_seal(authority=authority, authorisation=authorisation, data=data, sealer=sealer)
    with sealing_session(seal=seal) as own_sealer:
        return _permit_seal(authority=authority, authorisation=authorisation, data=data, sealer=own_sealer)


def _permit_seal(
    *, authority: IssuingAuthority, authorisation: SealAuthorisation, data: PermitData, sealer: Sealer
) -> Permit:
    """Number, render and seal an authorised permit, and record it, in one transaction."""
    now = timezone.now()
    try:
        return _permit_seal_once(authority=authority, authorisation=authorisation, data=data, sealer=sealer, now=now)
    except IntegrityError:
        # Another run issued this key between our check and our commit: ours rolled back whole.
        _already_issued(authority, data.issue_key)
        raise


def _permit_seal_once(*, authority, authorisation, data: PermitData, sealer: Sealer, now) -> Permit:
    seal, actor = authorisation.seal, authorisation.actor
    with transaction.atomic():
        number = _next_permit_number(authority, timezone.localdate(now).year)
        permit = Permit(
            number=number,
            authority=authority,
            holder=data.holder,
            matter=data.matter.strip(),
            scope=data.scope.strip(),
            conditions=data.conditions.strip(),
            valid_from=data.valid_from,
            valid_until=data.valid_until,
            issued_by=actor,
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
        result = seal_apply(
            authorisation=authorisation,
            document_number=number,
            pdf=rendering.render_permit(content),
            sealer=sealer,
            appearance=SealAppearance(box=rendering.STAMP_BOX, stamp_png=bytes(seal.stamp_png)),
            reason=_("Issued permit %(number)s") % {"number": number},
        )
        _permit_record(permit=permit, seal=seal, result=result)
    return permit


def _permit_record(*, permit: Permit, seal: Seal, result: SealResult) -> None:
    """Keep the sealed PDF and write the permit and its first event (inside the sealing transaction)."""
    permit.document = sealed_document_record(kind=DocumentKind.PERMIT, number=permit.number, seal=seal, result=result)
    permit.sha256 = result.sha256
    permit.save(force_insert=True)
    PermitEvent.objects.create(
        permit=permit,
        action=PermitEvent.Action.ISSUED,
        to_status=Permit.Status.VALID,
        actor=permit.issued_by,
        at=permit.issued_at,
    )


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


# --- bulk issuance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkRowError:
    row: int
    message: str


@dataclass(frozen=True)
class BulkRowAlready:
    row: int
    number: str


@dataclass
class BulkResult:
    issued: list[str] = field(default_factory=list)
    errors: list[BulkRowError] = field(default_factory=list)
    already: list[BulkRowAlready] = field(default_factory=list)


CSV_COLUMNS = ("holder_credit_code", "matter", "scope", "conditions", "valid_from", "valid_until")
# Optional: the row's own issuance key (up to 64 characters); without it, a digest of the row's content.
KEY_COLUMN = "key"


def row_issue_key(row: dict) -> str:
    """The row's issuance key: its ``key`` column, else SHA-256 of the permit it describes (normalised),
    so the same file run again gives the same keys."""
    own = (row.get(KEY_COLUMN) or "").strip()
    if own:
        if len(own) > 64:
            raise PermitError(_("The key must be at most 64 characters."))
        return own
    content = "\x1f".join(
        [(row.get("holder_credit_code") or "").strip().upper()]
        + [" ".join((row.get(c) or "").split()) for c in CSV_COLUMNS[1:]]
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def permit_data_from_row(row: dict) -> PermitData:
    missing = [c for c in CSV_COLUMNS if c != "conditions" and not (row.get(c) or "").strip()]
    if missing:
        raise PermitError(_("Missing value(s): %(columns)s") % {"columns": ", ".join(missing)})
    code = row["holder_credit_code"].strip().upper()
    holder = Enterprise.objects.filter(credit_code=code).first()
    if holder is None:
        raise PermitError(_("No enterprise with credit code %(code)s.") % {"code": code})
    try:
        valid_from = dt.date.fromisoformat(row["valid_from"].strip())
        valid_until = dt.date.fromisoformat(row["valid_until"].strip())
    except ValueError:
        raise PermitError(_("Dates must be written as YYYY-MM-DD.")) from None
    return PermitData(
        holder=holder,
        matter=row["matter"],
        scope=row["scope"],
        conditions=row.get("conditions") or "",
        valid_from=valid_from,
        valid_until=valid_until,
        issue_key=row_issue_key(row),
    )


def permits_issue_bulk(
    *,
    authority: IssuingAuthority,
    actor,
    rows: Iterable[dict],
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Issue one permit per row with one opened key; a bad row is reported and skipped.

    Each permit is its own transaction (see :func:`permit_issue`): a crash mid-batch leaves the
    permits issued so far complete and nothing of the one in progress. Every row has an issuance key
    (``row_issue_key``), so running the same file again — after a crash, or twice at once — issues each
    row once and reports the others as already issued. A file with two rows of one key is refused whole.
    """
    rows = list(rows)
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=1):
        try:
            key = row_issue_key(row)
        except PermitError:
            continue  # reported with the row below
        if key in seen:
            raise PermitError(
                _("Rows %(first)s and %(second)s describe the same permit; give each a distinct “key” column value.")
                % {"first": seen[key], "second": index}
            )
        seen[key] = index
    result = BulkResult()
    seal = permit_seal_for(authority)
    with sealing_session(seal=seal) as sealer:
        for index, row in enumerate(rows, start=1):
            try:
                data = permit_data_from_row(row)
                permit = permit_issue(authority=authority, actor=actor, data=data, seal=seal, sealer=sealer)
                result.issued.append(permit.number)
            except PermitAlreadyIssued as already:
                result.already.append(BulkRowAlready(index, already.number))
            except (GrantRequired, SealNotUsable):
                raise  # nothing else in the batch could succeed either
            except (PermitError, SealingError, IntegrityError) as exc:
                result.errors.append(BulkRowError(index, str(exc)))
            if progress:
                progress(index)
    return result
