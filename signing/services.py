"""Every state change of the signing app: one keyword-only function per use case.

Sealing happens inside the transaction that writes the document's record, so a failure anywhere
(rendering, key store, TSA, database) rolls back the number, the PDF and the log entry together.
A refused sealing is the exception: its log entry is written in a savepoint of its own before the
refusal is raised, so the caller's handler (a view or command that catches GrantRequired) keeps it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.enterprises.models import Enterprise

from . import rendering
from .engine import (
    DOCMDP_FORM_FILLING,
    ContractError,
    EmptySignatureField,
    GrantRequired,
    NotPermitted,
    PermitError,
    SealAppearance,
    Sealer,
    SealingError,
    SealNotUsable,
    SealRequest,
    SealResult,
    SigningError,
    platform_validation_context,
    timestamper_from_settings,
)
from .keystores import ENCRYPTED, key_store_for
from .models import (
    AuthorityMember,
    Contract,
    ContractSeal,
    DocumentKind,
    IssuingAuthority,
    Permit,
    PermitEvent,
    PermitSequence,
    ProviderCertificate,
    Seal,
    SealedDocument,
    SealGrant,
    SealLogHead,
    SealUse,
)
from .pki import Pki, load_pem_chain

logger = logging.getLogger(__name__)

# --- authorities and seals --------------------------------------------------------------------


@transaction.atomic
def authority_ensure(
    *, code: str, name: str, name_zh: str = "", number_prefix: str, region: str = "", is_platform: bool = False
) -> IssuingAuthority:
    authority, _created = IssuingAuthority.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "name_zh": name_zh,
            "number_prefix": number_prefix,
            "region": region,
            "is_platform": is_platform,
        },
    )
    return authority


@transaction.atomic
def authority_member_add(*, authority: IssuingAuthority, user, role: str = AuthorityMember.Role.OFFICER):
    member, _created = AuthorityMember.objects.get_or_create(authority=authority, user=user, defaults={"role": role})
    return member


def _seal_from_chain(
    *,
    authority: IssuingAuthority | None = None,
    enterprise=None,
    provider=None,
    name: str,
    purpose: str,
    chain_pem: str,
    key_store: str,
    key_ref: str,
) -> Seal:
    cert = x509.load_pem_x509_certificates(chain_pem.encode())[0]
    owner = authority or enterprise or provider
    return Seal.objects.create(
        authority=authority,
        enterprise=enterprise,
        provider=provider,
        name=name,
        purpose=purpose,
        certificate_chain=chain_pem,
        certificate_serial=str(cert.serial_number),
        certificate_subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_store=key_store,
        key_ref=key_ref,
        stamp_png=rendering.render_stamp_png(name=owner.name_zh or owner.name),
    )


@transaction.atomic
def seal_create(
    *, authority: IssuingAuthority, name: str, purpose: str = "", pki: Pki | None = None, label: str | None = None
) -> Seal:
    """A new seal with a fresh key (encrypted at rest) certified by the platform's seal CA."""
    pki = pki or Pki.default()
    label = label or f"{authority.code}-{timezone.now():%Y%m%d%H%M%S%f}"
    cert, key_ref = pki.issue_seal(label=label, common_name=f"{authority.name} Seal", organisation=authority.name)
    return _seal_from_chain(
        authority=authority,
        name=name,
        purpose=purpose,
        chain_pem=pki.chain_pem(cert),
        key_store=ENCRYPTED,
        key_ref=key_ref,
    )


@transaction.atomic
def seal_register_pkcs11(
    *, authority: IssuingAuthority, name: str, key_label: str, chain_pem: str, purpose: str = ""
) -> Seal:
    """A seal whose key stays on the PKCS#11 token under ``key_label``."""
    return _seal_from_chain(
        authority=authority, name=name, purpose=purpose, chain_pem=chain_pem, key_store="pkcs11", key_ref=key_label
    )


def _owner_label(*, authority=None, enterprise=None, provider=None) -> str:
    """A file-name-safe label for an owner's seal keys and certificates."""
    if authority is not None:
        return authority.code
    if enterprise is not None:
        return f"enterprise-{enterprise.pk}"
    return f"provider-{provider.pk}"


@transaction.atomic
def seal_import_pkcs12(
    *,
    authority: IssuingAuthority | None = None,
    enterprise=None,
    provider=None,
    name: str,
    data: bytes,
    password: bytes | None,
    purpose: str = "",
    pki: Pki | None = None,
) -> Seal:
    """Import a production seal (key + certificate + chain) from PKCS#12 for an authority, an
    enterprise or a provider; the key is re-encrypted under the platform KEK and the PKCS#12 bytes
    are not kept."""
    owner = {"authority": authority, "enterprise": enterprise, "provider": provider}
    if sum(value is not None for value in owner.values()) != 1:
        raise SigningError(_("A seal belongs to exactly one authority, enterprise or provider."))
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        raise SigningError(_("The PKCS#12 file could not be opened: wrong password or not a PKCS#12 file.")) from None
    if key is None or cert is None:
        raise SigningError(_("The PKCS#12 file must contain a private key and its certificate."))
    pki = pki or Pki.default()
    key_ref = f"seals/{_owner_label(**owner)}-import-{cert.serial_number:x}.key.enc"
    pki.keys.store(key_ref=key_ref, private_key=key)
    chain_pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in [cert, *(extra or [])])
    return _seal_from_chain(
        **owner, name=name, purpose=purpose, chain_pem=chain_pem, key_store=ENCRYPTED, key_ref=key_ref
    )


@transaction.atomic
def seal_revoke(*, seal: Seal, actor=None, reason: str, pki: Pki | None = None) -> Seal:
    """Revoke a seal: no further sealing, and its certificate goes on the seal CA's CRL."""
    seal = Seal.objects.select_for_update().get(pk=seal.pk)
    seal.status = Seal.Status.REVOKED
    seal.status_reason = reason
    seal.status_changed_at = timezone.now()
    seal.save(update_fields=["status", "status_reason", "status_changed_at"])
    pki = pki or Pki.default()
    issuer = x509.load_pem_x509_certificates(seal.certificate_chain.encode())[0].issuer
    if pki.exists() and issuer == pki.certificate("seal-ca").subject:
        pki.revoke(serial=int(seal.certificate_serial), reason=reason)
    logger.info("Seal %s revoked by %s", seal.pk, getattr(actor, "pk", None))
    return seal


@transaction.atomic
def grant_create(
    *, seal: Seal, user, document_kind: str, granted_by=None, valid_from=None, valid_until=None
) -> SealGrant:
    return SealGrant.objects.create(
        seal=seal,
        user=user,
        document_kind=document_kind,
        granted_by=granted_by,
        valid_from=valid_from or timezone.now(),
        valid_until=valid_until,
    )


@transaction.atomic
def grant_revoke(*, grant: SealGrant, actor=None) -> SealGrant:
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    return grant


# --- seal-use log -----------------------------------------------------------------------------


def seal_log_append(
    *,
    seal: Seal,
    actor,
    document_kind: str,
    document_number: str = "",
    document_sha256: str = "",
    outcome: str,
    detail: str = "",
) -> SealUse:
    """Append one entry, chained to the previous one; the head row lock serialises writers."""
    with transaction.atomic():
        head, _created = SealLogHead.objects.select_for_update().get_or_create(pk=1)
        entry = SealUse(
            seal=seal,
            actor=actor,
            actor_email=getattr(actor, "email", "") or "",
            document_kind=document_kind,
            document_number=document_number,
            document_sha256=document_sha256,
            outcome=outcome,
            detail=detail[:300],
            created_at=timezone.now(),
            prev_hash=head.last_hash,
        )
        entry.entry_hash = entry.compute_hash()
        entry.save(force_insert=True)
        head.last_hash = entry.entry_hash
        head.entries += 1
        head.save(update_fields=["last_hash", "entries"])
    return entry


@dataclass(frozen=True)
class LogVerification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""


def seal_log_verify() -> LogVerification:
    """Recompute the chain from the start; report the first entry that does not match."""
    prev = "0" * 64
    checked = 0
    for entry in SealUse.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return LogVerification(False, checked, entry.pk, "previous-hash link does not match")
        if entry.compute_hash() != entry.entry_hash:
            return LogVerification(False, checked, entry.pk, "entry content does not match its hash")
        prev = entry.entry_hash
        checked += 1
    head = SealLogHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.entries != checked):
        return LogVerification(False, checked, None, "entries are missing at the end of the log")
    return LogVerification(True, checked)


# --- applying a seal --------------------------------------------------------------------------


def _check_may_seal(*, seal: Seal, actor, document_kind: str, document_number: str = "") -> None:
    """Refuse (and log the refusal durably) unless ``actor`` holds a current grant."""
    problem = None
    if not seal.is_usable():
        problem = "seal not usable"
        exc = SealNotUsable(_("The seal “%(seal)s” is not active.") % {"seal": seal.name})
    elif not SealGrant.objects.current().filter(seal=seal, user=actor, document_kind=document_kind).exists():
        problem = "no current grant"
        exc = GrantRequired(
            _("You hold no current grant to apply the seal “%(seal)s” to this kind of document.") % {"seal": seal.name}
        )
    if problem:
        # seal_log_append commits its own savepoint; the exception is raised only after it, so a
        # caller that is not itself rolled back keeps the refusal on record.
        seal_log_append(
            seal=seal,
            actor=actor,
            document_kind=document_kind,
            document_number=document_number,
            outcome=SealUse.Outcome.REFUSED,
            detail=problem,
        )
        logger.warning(
            "Sealing refused: seal=%s actor=%s kind=%s reason=%s",
            seal.pk,
            getattr(actor, "pk", None),
            document_kind,
            problem,
        )
        raise exc


@contextlib.contextmanager
def sealing_session(*, seal: Seal, pki: Pki | None = None) -> Iterator[Sealer]:
    """A :class:`Sealer` for one seal, its key opened once for a whole batch."""
    pki = pki or Pki.default()
    chain = load_pem_chain(seal.certificate_chain)
    level = settings.SIGNING_PADES_LEVEL
    store = key_store_for(seal.key_store)
    with store.open_signer(key_ref=seal.key_ref, certificate=chain[0], chain=chain[1:]) as signer:
        yield Sealer(
            signer=signer,
            timestamper=timestamper_from_settings(pki) if level != "B-B" else None,
            validation_context=platform_validation_context(pki) if level in ("B-LT", "B-LTA") else None,
        )


def seal_apply(
    *,
    seal: Seal,
    actor,
    document_kind: str,
    document_number: str,
    pdf: bytes,
    sealer: Sealer,
    appearance: SealAppearance | None = None,
    certify: bool = True,
    docmdp: int = 1,
    reason: str = "",
) -> SealResult:
    """Seal ``pdf`` and log it. Call inside the transaction that stores the result."""
    _check_may_seal(seal=seal, actor=actor, document_kind=document_kind, document_number=document_number)
    result = sealer.seal(
        SealRequest(
            pdf=pdf,
            level=settings.SIGNING_PADES_LEVEL,
            certify=certify,
            docmdp=docmdp,
            reason=reason,
            location=seal.owner_name,
            appearance=appearance,
        )
    )
    seal_log_append(
        seal=seal,
        actor=actor,
        document_kind=document_kind,
        document_number=document_number,
        document_sha256=result.sha256,
        outcome=SealUse.Outcome.SEALED,
    )
    return result


def _sealed_document_record(*, kind: str, number: str, seal: Seal, result: SealResult) -> SealedDocument:
    """The registry row for a freshly sealed PDF (its bytes, digest, size and PAdES level)."""
    return SealedDocument.objects.create(
        kind=kind,
        number=number,
        seal=seal,
        pdf=result.pdf,
        sha256=result.sha256,
        size=len(result.pdf),
        pades_level=result.level,
        sealed_at=result.sealed_at,
    )


def platform_seal_document(
    *, document_kind: str, document_number: str, pdf: bytes, reason: str, stamp_box=None
) -> SealedDocument:
    """Seal a document the platform itself issues (a verification report) with the platform's seal
    and keep it, so the sealed copy is itself verifiable.

    No person's grant is checked: nobody chooses what goes into these documents, the platform
    writes them. The seal-use log records the sealing with no actor.
    """
    authority = IssuingAuthority.objects.filter(is_platform=True).first()
    if authority is None:
        raise SealNotUsable(_("The platform has no seal yet (run init_pki)."))
    seal = permit_seal_for(authority)
    with sealing_session(seal=seal) as sealer:
        result = sealer.seal(
            SealRequest(
                pdf=pdf,
                level=settings.SIGNING_PADES_LEVEL,
                certify=True,
                docmdp=1,
                reason=reason,
                location=authority.name,
                appearance=SealAppearance(box=stamp_box, stamp_png=bytes(seal.stamp_png)) if stamp_box else None,
            )
        )
    with transaction.atomic():
        document = _sealed_document_record(kind=document_kind, number=document_number, seal=seal, result=result)
        seal_log_append(
            seal=seal,
            actor=None,
            document_kind=document_kind,
            document_number=document_number,
            document_sha256=result.sha256,
            outcome=SealUse.Outcome.SEALED,
            detail="platform",
        )
    return document


def provider_certificate_issue(*, provider) -> ProviderCertificate:
    """Render and seal a certified provider's certificate with the platform seal, and record it."""
    from providers.selectors import qualified_categories

    if provider.status != "certified":
        raise PermitError(_("Only a certified provider receives a certificate."))
    platform = IssuingAuthority.objects.filter(is_platform=True).first()
    year = timezone.localdate().year
    sequence = ProviderCertificate.objects.filter(provider=provider).count() + 1
    number = f"OW-C-{year}-{provider.pk:06d}-{sequence:02d}"
    content = rendering.ProviderCertificateContent(
        number=number,
        provider_name=provider.name,
        provider_name_zh=provider.name_zh,
        credit_code=provider.credit_code,
        service_items=tuple(
            f"{category.name_zh} {category.name}".strip() for category in qualified_categories(provider=provider)
        ),
        certified_on=timezone.localdate(provider.certified_at or timezone.now()),
        profile_url=f"{settings.PUBLIC_BASE_URL}/providers/{provider.pk}/",
        issuer_name=platform.name if platform else "OneWindow",
        issuer_name_zh=platform.name_zh if platform else "",
    )
    document = platform_seal_document(
        document_kind=DocumentKind.PROVIDER_CERTIFICATE,
        document_number=number,
        pdf=rendering.render_provider_certificate(content),
        reason=_("Certificate of certification %(number)s") % {"number": number},
        stamp_box=rendering.STAMP_BOX,
    )
    return ProviderCertificate.objects.create(provider=provider, document=document)


def provider_certificates_backfill() -> int:
    """Certificates for certified providers that have none (certified before the platform had a
    seal, or loaded as data). Idempotent; returns how many were issued."""
    from providers.models import Provider

    missing = Provider.objects.filter(status="certified", certificates__isnull=True)
    issued = 0
    for provider in missing:
        provider_certificate_issue(provider=provider)
        issued += 1
    return issued


# --- permits ----------------------------------------------------------------------------------


def permit_seal_for(authority: IssuingAuthority) -> Seal:
    seal = authority.seals.filter(status=Seal.Status.ACTIVE).order_by("-created_at").first()
    if seal is None:
        raise SealNotUsable(_("%(authority)s has no active seal.") % {"authority": authority.name})
    return seal


def _next_permit_number(authority: IssuingAuthority, year: int) -> str:
    PermitSequence.objects.get_or_create(authority=authority, year=year)
    seq = PermitSequence.objects.select_for_update().get(authority=authority, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{authority.number_prefix}-{year}-{seq.last:06d}"


@dataclass(frozen=True)
class PermitData:
    """What an officer fills in; validated by the form or the CSV reader."""

    holder: Enterprise
    matter: str
    scope: str
    conditions: str
    valid_from: dt.date
    valid_until: dt.date


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
    _fail_after_sealing: Callable[[], None] | None = None,
) -> Permit:
    """Number, render, seal and record a permit, all or nothing.

    ``sealer`` lets a batch reuse one opened key; without it a session is opened for this permit.
    """
    _validate_permit_data(data)
    if not AuthorityMember.objects.filter(authority=authority, user=actor).exists():
        raise PermitError(_("Only officers of %(authority)s may issue its permits.") % {"authority": authority.name})
    seal = seal or permit_seal_for(authority)
    if seal.authority_id != authority.pk:
        raise PermitError(_("The seal belongs to another authority."))
    # Checked (and a refusal logged) before the main transaction, so the refusal entry survives.
    _check_may_seal(seal=seal, actor=actor, document_kind=DocumentKind.PERMIT)
    if sealer is None:
        with sealing_session(seal=seal) as own_sealer:
            return permit_issue(
                authority=authority,
                actor=actor,
                data=data,
                seal=seal,
                sealer=own_sealer,
                _fail_after_sealing=_fail_after_sealing,
            )
    now = timezone.now()
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
        )
        result = seal_apply(
            seal=seal,
            actor=actor,
            document_kind=DocumentKind.PERMIT,
            document_number=number,
            pdf=rendering.render_permit(content),
            sealer=sealer,
            appearance=SealAppearance(box=rendering.STAMP_BOX, stamp_png=bytes(seal.stamp_png)),
            reason=_("Issued permit %(number)s") % {"number": number},
        )
        if _fail_after_sealing is not None:
            _fail_after_sealing()  # test hook: simulates a crash between sealing and recording
        permit.document = _sealed_document_record(kind=DocumentKind.PERMIT, number=number, seal=seal, result=result)
        permit.sha256 = result.sha256
        permit.save(force_insert=True)
        PermitEvent.objects.create(
            permit=permit, action=PermitEvent.Action.ISSUED, to_status=Permit.Status.VALID, actor=actor, at=now
        )
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


@dataclass
class BulkResult:
    issued: list[str] = field(default_factory=list)
    errors: list[BulkRowError] = field(default_factory=list)


CSV_COLUMNS = ("holder_credit_code", "matter", "scope", "conditions", "valid_from", "valid_until")


def _row_to_data(row: dict) -> PermitData:
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
    )


def permits_issue_bulk(
    *,
    authority: IssuingAuthority,
    actor,
    rows: Iterable[dict],
    progress: Callable[[int], None] | None = None,
    _fail_after_sealing: Callable[[int], None] | None = None,
) -> BulkResult:
    """Issue one permit per row with one opened key; a bad row is reported and skipped.

    Each permit is its own transaction (see :func:`permit_issue`): a crash mid-batch leaves the
    permits issued so far complete and nothing of the one in progress.
    """
    result = BulkResult()
    seal = permit_seal_for(authority)
    with sealing_session(seal=seal) as sealer:
        for index, row in enumerate(rows, start=1):
            try:
                data = _row_to_data(row)
                hook = (lambda i=index: _fail_after_sealing(i)) if _fail_after_sealing else None
                permit = permit_issue(
                    authority=authority, actor=actor, data=data, seal=seal, sealer=sealer, _fail_after_sealing=hook
                )
                result.issued.append(permit.number)
            except (GrantRequired, SealNotUsable):
                raise  # nothing else in the batch could succeed either
            except (PermitError, SealingError, IntegrityError) as exc:
                result.errors.append(BulkRowError(index, str(exc)))
            if progress:
                progress(index)
    return result


# --- organisation seals -----------------------------------------------------------------------

# Members in these roles of an enterprise or provider may create its seal and receive a grant to
# seal contracts with it when it is made (an owner may grant other members later, see grant_create).
SEALING_ROLES = ("owner",)


def _organisation(*, enterprise=None, provider=None):
    if (enterprise is None) == (provider is None):
        raise SigningError(_("Name exactly one enterprise or provider."))
    return {"enterprise": enterprise} if enterprise is not None else {"provider": provider}


def organisation_seal_for(*, enterprise=None, provider=None) -> Seal | None:
    """The organisation's newest usable seal, or None."""
    owner = _organisation(enterprise=enterprise, provider=provider)
    now = timezone.now()
    return (
        Seal.objects.filter(**owner, status=Seal.Status.ACTIVE, not_before__lte=now, not_after__gte=now)
        .order_by("-created_at", "-pk")
        .first()
    )


def party_organisation(service_order, party: str) -> dict:
    """The owner keyword (``enterprise=`` or ``provider=``) of the organisation that seals for
    ``party`` (``buyer`` or ``provider``) on ``service_order``'s contract."""
    if party == ContractSeal.Party.BUYER:
        return {"enterprise": service_order.enterprise}
    return {"provider": service_order.provider}


def may_apply_seal(*, seal: Seal, user, document_kind: str) -> bool:
    """Whether ``user`` holds a current grant for ``seal`` on this kind of document."""
    return SealGrant.objects.current().filter(seal=seal, user=user, document_kind=document_kind).exists()


def may_manage_seal(*, actor, organisation) -> bool:
    """The platform itself (``actor=None``), staff, or an owner of ``organisation``."""
    if actor is None:  # the platform itself: init_pki, load_demo, a management command
        return True
    if actor.is_staff:
        return True
    return organisation.memberships.filter(user=actor, role__in=SEALING_ROLES).exists()


@transaction.atomic
def organisation_seal_create(*, actor, enterprise=None, provider=None, pki: Pki | None = None) -> Seal:
    """A contract seal for an enterprise or a provider, certified by the platform's seal CA (the
    embedded default; production imports one with :func:`seal_import_pkcs12`), its key encrypted
    at rest. The organisation's owners receive a grant to seal contracts with it.

    Only an owner of the organisation or platform staff may do this (``actor=None``: the platform
    itself). An organisation that already has a usable seal gets that one back.
    """
    owner = _organisation(enterprise=enterprise, provider=provider)
    organisation = enterprise or provider
    if not may_manage_seal(actor=actor, organisation=organisation):
        raise NotPermitted(_("Only an owner of %(name)s may create its electronic seal.") % {"name": organisation.name})
    existing = organisation_seal_for(**owner)
    pki = pki or Pki.default()
    if existing is not None and (existing.key_store != ENCRYPTED or pki.keys.exists(existing.key_ref)):
        # An owner who joined after the seal was made asks here for the grant the others received.
        if actor is not None and organisation.memberships.filter(user=actor, role__in=SEALING_ROLES).exists():
            if not may_apply_seal(seal=existing, user=actor, document_kind=DocumentKind.SERVICE_CONTRACT):
                grant_create(seal=existing, user=actor, document_kind=DocumentKind.SERVICE_CONTRACT, granted_by=actor)
        return existing
    label = f"{_owner_label(**owner)}-{timezone.now():%Y%m%d%H%M%S%f}"
    cert, key_ref = pki.issue_seal(
        label=label, common_name=f"{organisation.name} Contract Seal", organisation=organisation.name
    )
    seal = _seal_from_chain(
        **owner,
        name=f"{organisation.name_zh or organisation.name} 合同专用章",
        purpose="Service contracts",
        chain_pem=pki.chain_pem(cert),
        key_store=ENCRYPTED,
        key_ref=key_ref,
    )
    for membership in organisation.memberships.filter(role__in=SEALING_ROLES).select_related("user"):
        grant_create(seal=seal, user=membership.user, document_kind=DocumentKind.SERVICE_CONTRACT, granted_by=actor)
    logger.info("Contract seal %s created for %s by %s", seal.pk, organisation.pk, getattr(actor, "pk", None))
    return seal


# --- service contracts ------------------------------------------------------------------------

PARTY_FIELDS = {
    ContractSeal.Party.PLATFORM: rendering.CONTRACT_FIELDS[0][0],
    ContractSeal.Party.BUYER: rendering.CONTRACT_FIELDS[1][0],
    ContractSeal.Party.PROVIDER: rendering.CONTRACT_FIELDS[2][0],
}
NEXT_STATUS = {
    ContractSeal.Party.BUYER: Contract.Status.AWAITING_PROVIDER,
    ContractSeal.Party.PROVIDER: Contract.Status.SEALED,
}


def contract_number(service_order) -> str:
    return f"HT-{service_order.order.number}"


def _contract_content(
    service_order, *, number: str, token: str, platform: IssuingAuthority
) -> rendering.ContractContent:
    enterprise, provider = service_order.enterprise, service_order.provider
    category = service_order.category
    return rendering.ContractContent(
        number=number,
        order_number=service_order.order.number,
        buyer_name=enterprise.name,
        buyer_name_zh=enterprise.name_zh,
        buyer_credit_code=enterprise.credit_code,
        provider_name=provider.name,
        provider_name_zh=provider.name_zh,
        provider_credit_code=provider.credit_code,
        service=service_order.title,
        service_item=f"{category.name_zh} {category.name}".strip() if category else "",
        project_name=service_order.project_name,
        site_location=service_order.site_location,
        price=f"{service_order.price:,.2f}",
        service_days=service_order.service_days,
        review_days=settings.ORDER_AUTO_ACCEPT_DAYS,
        notes=service_order.notes,
        issued_on=timezone.localdate(),
        platform_name=platform.name,
        platform_name_zh=platform.name_zh,
        verification_url=f"{settings.PUBLIC_BASE_URL}/v/{token}",
    )


def contract_issue(*, service_order) -> Contract:
    """Render the order's contract and certify it with the platform seal, DocMDP level 2 (later
    parties may fill in their signature fields, nothing else), at the project's PAdES level.

    Idempotent: an order that has a contract gets it back. Raises a :class:`SigningError` (the
    order is untouched) when the platform cannot seal, e.g. before ``init_pki``.
    """
    from marketplace.hiring.models import ServiceOrder
    from marketplace.hiring.services import service_order_note

    existing = Contract.objects.filter(service_order=service_order).first()
    if existing is not None:
        return existing
    platform = IssuingAuthority.objects.filter(is_platform=True).first()
    if platform is None:
        raise SealNotUsable(_("The platform has no seal yet (run init_pki)."))
    seal = permit_seal_for(platform)
    with transaction.atomic():
        # The row lock makes a retry racing the first attempt wait, then find the contract.
        service_order = (
            ServiceOrder.objects.select_for_update(of=("self",))
            .select_related("order", "enterprise", "provider", "category")
            .get(pk=service_order.pk)
        )
        existing = Contract.objects.filter(service_order=service_order).first()
        if existing is not None:
            return existing
        number = contract_number(service_order)
        contract = Contract(service_order=service_order)
        rendered = rendering.render_contract(
            _contract_content(service_order, number=number, token=contract.token, platform=platform)
        )
        page = rendered.signature_page
        with sealing_session(seal=seal) as sealer:
            result = sealer.seal(
                SealRequest(
                    pdf=rendered.pdf,
                    field_name=PARTY_FIELDS[ContractSeal.Party.PLATFORM],
                    level=settings.SIGNING_PADES_LEVEL,
                    certify=True,
                    docmdp=DOCMDP_FORM_FILLING,
                    reason=_("Service contract %(number)s, certified by the platform") % {"number": number},
                    location=platform.name,
                    appearance=SealAppearance(
                        box=rendering.CONTRACT_FIELDS[0][1], page=page, stamp_png=bytes(seal.stamp_png)
                    ),
                    empty_fields=tuple(
                        EmptySignatureField(name=name, box=box, page=page)
                        for name, box in rendering.CONTRACT_FIELDS[1:]
                    ),
                )
            )
        contract.document = _sealed_document_record(
            kind=DocumentKind.SERVICE_CONTRACT, number=number, seal=seal, result=result
        )
        contract.save(force_insert=True)
        ContractSeal.objects.create(
            contract=contract,
            party=ContractSeal.Party.PLATFORM,
            seal=seal,
            actor=None,
            sealed_at=result.sealed_at,
            sha256=result.sha256,
            size=len(result.pdf),
        )
        seal_log_append(
            seal=seal,
            actor=None,
            document_kind=DocumentKind.SERVICE_CONTRACT,
            document_number=number,
            document_sha256=result.sha256,
            outcome=SealUse.Outcome.SEALED,
            detail="platform certification",
        )
        service_order_note(service_order=service_order, kind="contract_issued", number=number)
    return contract


def contract_party(contract: Contract, user) -> str | None:
    """``buyer`` or ``provider`` when ``user`` acts for that side of the contract's order (staff
    act for neither)."""
    from marketplace.hiring.services import party_of

    party = party_of(contract.service_order, user)
    return party if party in (ContractSeal.Party.BUYER, ContractSeal.Party.PROVIDER) else None


def _refuse(*, seal: Seal, actor, contract: Contract, detail: str, exc: SigningError):
    """Log a refused contract sealing durably (its own savepoint), then raise ``exc``."""
    seal_log_append(
        seal=seal,
        actor=actor,
        document_kind=DocumentKind.SERVICE_CONTRACT,
        document_number=contract.number,
        outcome=SealUse.Outcome.REFUSED,
        detail=detail,
    )
    logger.warning("Contract sealing refused: contract=%s actor=%s reason=%s", contract.pk, actor.pk, detail)
    raise exc


def contract_seal(*, contract: Contract, actor) -> Contract:
    """Apply the acting user's organisation seal to the contract, if it is that side's turn:
    the buyer's enterprise first, then the provider. Each seal is an incremental update of the
    PDF at the project's PAdES level; every version's digest is kept.

    Refusals (not a party, out of turn, already sealed, no grant) are logged in the seal-use log
    before they are raised; like :func:`permit_issue`, the checks run before the main transaction
    so the refusal entry survives.
    """
    from marketplace.hiring.services import service_order_note

    contract = Contract.objects.select_related(
        "document__seal", "service_order__order", "service_order__enterprise", "service_order__provider"
    ).get(pk=contract.pk)
    party = contract_party(contract, actor)
    if party is None:
        _refuse(
            seal=contract.document.seal,
            actor=actor,
            contract=contract,
            detail="not a party to the contract",
            exc=ContractError(_("Only the buyer's and the provider's members may seal this contract.")),
        )
    owner = party_organisation(contract.service_order, party)
    organisation = next(iter(owner.values()))
    seal = organisation_seal_for(**owner)
    if seal is None:
        raise SealNotUsable(
            _("%(name)s has no electronic seal yet; an owner of the organisation can create one.")
            % {"name": organisation.name}
        )
    if contract.status == Contract.Status.SEALED or contract.seals.filter(party=party).exists():
        _refuse(
            seal=seal,
            actor=actor,
            contract=contract,
            detail="already sealed",
            exc=ContractError(_("Your organisation has already sealed this contract.")),
        )
    if contract.next_party != party:
        _refuse(
            seal=seal,
            actor=actor,
            contract=contract,
            detail="out of turn",
            exc=ContractError(_("The buyer seals the contract first; the provider seals it after the buyer.")),
        )
    _check_may_seal(
        seal=seal, actor=actor, document_kind=DocumentKind.SERVICE_CONTRACT, document_number=contract.number
    )
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.status != contract.status:
            raise ContractError(_("The contract changed meanwhile; please reload the page."))
        document = SealedDocument.objects.select_for_update().get(pk=contract.document_id)
        current = bytes(document.pdf)
        with sealing_session(seal=seal) as sealer:
            result = sealer.seal(
                SealRequest(
                    pdf=current,
                    field_name=PARTY_FIELDS[party],
                    level=settings.SIGNING_PADES_LEVEL,
                    certify=False,
                    reason=_("Sealed by %(name)s") % {"name": organisation.name},
                    location=organisation.name,
                    appearance=SealAppearance(box=None, stamp_png=bytes(seal.stamp_png)),
                )
            )
        if not result.pdf.startswith(current):
            # Every version must stay a prefix of the next, or the registry loses the earlier ones.
            raise SealingError("The sealed contract is not an incremental update of the previous version.")
        document.pdf = result.pdf
        document.sha256 = result.sha256
        document.size = len(result.pdf)
        document.pades_level = result.level
        document.sealed_at = result.sealed_at
        document.save(update_fields=["pdf", "sha256", "size", "pades_level", "sealed_at"])
        ContractSeal.objects.create(
            contract=locked,
            party=party,
            seal=seal,
            actor=actor,
            sealed_at=result.sealed_at,
            sha256=result.sha256,
            size=len(result.pdf),
        )
        locked.status = NEXT_STATUS[party]
        locked.save(update_fields=["status"])
        seal_log_append(
            seal=seal,
            actor=actor,
            document_kind=DocumentKind.SERVICE_CONTRACT,
            document_number=contract.number,
            document_sha256=result.sha256,
            outcome=SealUse.Outcome.SEALED,
            detail=f"{party} seal",
        )
        service_order_note(
            service_order=contract.service_order, kind=f"contract_sealed_{party}", actor=actor, number=contract.number
        )
    return locked


CLOSED_ORDER_STATUSES = ("completed", "cancelled", "refunded")


def contracts_issue_missing(*, include_closed: bool = False) -> tuple[int, list[tuple[str, str]]]:
    """Contracts for orders that have none (the platform could not seal when they were placed).
    Closed orders (completed, cancelled, refunded) only with ``include_closed``: orders finished
    before contracts existed need none. Returns how many were issued and (order number, reason)
    for each that still failed."""
    from marketplace.hiring.models import ServiceOrder

    orders = ServiceOrder.objects.filter(contract__isnull=True).select_related("order").order_by("pk")
    if not include_closed:
        orders = orders.exclude(order__status__in=CLOSED_ORDER_STATUSES)
    issued, failed = 0, []
    for service_order in orders:
        try:
            contract_issue(service_order=service_order)
        except SigningError as exc:
            failed.append((service_order.order.number, str(exc)))
        else:
            issued += 1
    return issued, failed


def platform_seal_document_once(
    *, document_kind: str, document_number: str, render: Callable[[], bytes], reason: str, stamp_box=None
) -> SealedDocument:
    """The platform-sealed document of this kind and number: the one already kept, or ``render()``
    sealed now and kept. A number names one issued document, so asking again never seals again.

    Two first requests at the same moment may both seal; the unique (kind, number) constraint
    keeps the copy of whichever commits first, and the other request answers with that copy. The
    loser's sealed bytes, and their seal-use entry, roll back together: they were never issued.
    """
    existing = SealedDocument.objects.filter(kind=document_kind, number=document_number).first()
    if existing is not None:
        return existing
    try:
        return platform_seal_document(
            document_kind=document_kind,
            document_number=document_number,
            pdf=render(),
            reason=reason,
            stamp_box=stamp_box,
        )
    except IntegrityError:
        winner = SealedDocument.objects.filter(kind=document_kind, number=document_number).first()
        if winner is None:  # not the (kind, number) race: a real integrity problem
            raise
        logger.info("%s %s was sealed by a concurrent request; returning that copy", document_kind, document_number)
        return winner
