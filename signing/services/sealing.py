"""Applying seals: the one grant check, the sealing session, and the sealed-document registry.

Contracts, delivery notes and reports are sealed inside the transaction that writes the document's
record, so a failure anywhere (rendering, key store, TSA, database) rolls back the PDF and the log
entry together. Permits seal outside any transaction and record in a short one afterwards, their
number reserved beforehand (:mod:`.permits`), so bulk issuance runs in parallel.
A refused sealing is the exception: :func:`seal_authorise` writes its log entry in a savepoint of
its own before it raises, and callers authorise *before* their main transaction, so the refusal
stays on record.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..engine import (
    EmptySignatureField,
    GrantRequired,
    SealAppearance,
    Sealer,
    SealingError,
    SealNotUsable,
    SealRequest,
    SealResult,
    platform_validation_context,
    timestamper_from_settings,
)
from ..keystores import key_store_for
from ..models import IssuingAuthority, Seal, SealedDocument, SealGrant, SealUse
from ..pki import Pki, load_pem_chain
from .log import seal_log_append
from .seals import permit_seal_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SealAuthorisation:
    """What :func:`seal_authorise` hands back once ``actor`` was found to hold a current grant for
    ``seal`` on ``document_kind``. :func:`seal_apply` takes only this, so nothing is sealed on a
    person's behalf without that check, and the check runs once per sealing."""

    seal: Seal
    actor: Any
    document_kind: str


def current_grants(*, seal, user, document_kind: str):
    """The grants that let ``user`` apply ``seal`` (a seal, or ``OuterRef`` to one) to this kind of
    document now: the one rule both :func:`may_apply_seal` and the order page's one-query reading
    (``organisation_seal_with_grants``) apply."""
    return SealGrant.objects.current().filter(seal=seal, user=user, document_kind=document_kind)


def may_apply_seal(*, seal: Seal, user, document_kind: str) -> bool:
    """Whether ``user`` holds a current grant for ``seal`` on this kind of document."""
    return current_grants(seal=seal, user=user, document_kind=document_kind).exists()


def seal_authorise(*, seal: Seal, actor, document_kind: str, document_number: str = "") -> SealAuthorisation:
    """The one place a person's right to apply a seal is checked: refuse (and log the refusal
    durably) unless the seal is usable and ``actor`` holds a current grant.

    Call it before the transaction that seals and records the document: the refusal's log entry is
    written in a savepoint of its own before the exception is raised, so a caller that is not
    itself rolled back keeps it on record.
    """
    problem = None
    if not seal.is_usable():
        problem = "seal not usable"
        exc = SealNotUsable(_("The seal “%(seal)s” is not active.") % {"seal": seal.name})
    elif not may_apply_seal(seal=seal, user=actor, document_kind=document_kind):
        problem = "no current grant"
        exc = GrantRequired(
            _("You hold no current grant to apply the seal “%(seal)s” to this kind of document.") % {"seal": seal.name}
        )
    if problem:
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
    return SealAuthorisation(seal=seal, actor=actor, document_kind=document_kind)


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
    authorisation: SealAuthorisation,
    document_number: str,
    pdf: bytes,
    sealer: Sealer,
    appearance: SealAppearance | None = None,
    certify: bool = True,
    docmdp: int = 1,
    reason: str = "",
    field_name: str | None = None,
    log_detail: str = "",
) -> SealResult:
    """Seal ``pdf`` for the authorised actor and log it. Call inside the transaction that stores
    the result; the grant was checked by :func:`seal_authorise`, which made ``authorisation``."""
    seal = authorisation.seal
    result = sealer.seal(
        SealRequest(
            pdf=pdf,
            level=settings.SIGNING_PADES_LEVEL,
            certify=certify,
            docmdp=docmdp,
            reason=reason,
            location=seal.owner_name,
            appearance=appearance,
            **({"field_name": field_name} if field_name else {}),
        )
    )
    seal_log_append(
        seal=seal,
        actor=authorisation.actor,
        document_kind=authorisation.document_kind,
        document_number=document_number,
        document_sha256=result.sha256,
        outcome=SealUse.Outcome.SEALED,
        detail=log_detail,
    )
    return result


def sealed_document_record(*, kind: str, number: str, seal: Seal, result: SealResult) -> SealedDocument:
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


def sealed_document_add_seal(
    *, authorisation: SealAuthorisation, document: SealedDocument, field_name: str, reason: str, log_detail: str = ""
) -> SealResult:
    """Apply the authorised actor's seal to a kept document, into its empty signature field
    ``field_name``, as an incremental update; the document then holds the new version. Call inside
    the caller's transaction (the document row is locked until it ends).

    Every version stays a prefix of the next, so the earlier ones remain recognisable.
    """
    document = SealedDocument.objects.select_for_update().get(pk=document.pk)
    current = bytes(document.pdf)
    seal = authorisation.seal
    with sealing_session(seal=seal) as sealer:
        result = seal_apply(
            authorisation=authorisation,
            document_number=document.number,
            pdf=current,
            sealer=sealer,
            field_name=field_name,
            certify=False,
            reason=reason,
            appearance=SealAppearance(box=None, stamp_png=bytes(seal.stamp_png)),
            log_detail=log_detail,
        )
    if not result.pdf.startswith(current):
        # Every version must stay a prefix of the next, or the registry loses the earlier ones.
        raise SealingError("The sealed document is not an incremental update of the previous version.")
    document.pdf = result.pdf
    document.sha256 = result.sha256
    document.size = len(result.pdf)
    document.pades_level = result.level
    document.sealed_at = result.sealed_at
    document.save(update_fields=["pdf", "sha256", "size", "pades_level", "sealed_at"])
    return result


def platform_authority() -> IssuingAuthority:
    """The platform as an issuer; before ``init_pki`` there is none and the platform cannot seal."""
    authority = IssuingAuthority.objects.filter(is_platform=True).first()
    if authority is None:
        raise SealNotUsable(_("The platform has no seal yet (run init_pki)."))
    return authority


def platform_seal_document(
    *,
    document_kind: str,
    document_number: str,
    pdf: bytes,
    reason: str,
    stamp_box=None,
    stamp_page: int = 0,
    field_name: str | None = None,
    docmdp: int = 1,
    empty_fields: tuple[EmptySignatureField, ...] = (),
    log_detail: str = "platform",
) -> SealedDocument:
    """Seal a document the platform itself issues (a verification report, a certificate, the
    certification of a contract) with the platform's seal and keep it, so the sealed copy is
    itself verifiable. ``empty_fields`` leaves signature fields for later parties (with
    ``docmdp=2``, see :func:`sealed_document_add_seal`).

    No person's grant is checked: nobody chooses what goes into these documents, the platform
    writes them. The seal-use log records the sealing with no actor.
    """
    authority = platform_authority()
    seal = permit_seal_for(authority)
    with sealing_session(seal=seal) as sealer:
        result = sealer.seal(
            SealRequest(
                pdf=pdf,
                level=settings.SIGNING_PADES_LEVEL,
                certify=True,
                docmdp=docmdp,
                reason=reason,
                location=authority.name,
                appearance=(
                    SealAppearance(box=stamp_box, page=stamp_page, stamp_png=bytes(seal.stamp_png))
                    if stamp_box
                    else None
                ),
                empty_fields=empty_fields,
                **({"field_name": field_name} if field_name else {}),
            )
        )
    with transaction.atomic():
        document = sealed_document_record(kind=document_kind, number=document_number, seal=seal, result=result)
        seal_log_append(
            seal=seal,
            actor=None,
            document_kind=document_kind,
            document_number=document_number,
            document_sha256=result.sha256,
            outcome=SealUse.Outcome.SEALED,
            detail=log_detail,
        )
    return document


def platform_seal_data(*, data: bytes, document_kind: str, document_number: str, log_detail: str = "platform") -> bytes:
    """A detached CMS signature (RFC 5652, DER) over ``data`` by the platform's seal, with a signature
    timestamp from the project's TSA: for what is not a PDF (a bundle's manifest). Logged in the
    seal-use log like every sealing; nobody's grant is checked, the platform wrote ``data``."""
    authority = platform_authority()
    seal = permit_seal_for(authority)
    pki = Pki.default()
    chain = load_pem_chain(seal.certificate_chain)
    store = key_store_for(seal.key_store)
    with store.open_signer(key_ref=seal.key_ref, certificate=chain[0], chain=chain[1:]) as signer:
        try:
            signed = asyncio.run(
                signer.async_sign_general_data(
                    data, "sha256", detached=True, timestamper=timestamper_from_settings(pki)
                )
            )
        except Exception as exc:  # pyHanko, the key store or the TSA: none of theirs leaks past here
            raise SealingError(_("The platform could not sign the data: %(error)s") % {"error": exc}) from exc
    seal_log_append(
        seal=seal,
        actor=None,
        document_kind=document_kind,
        document_number=document_number,
        document_sha256=hashlib.sha256(data).hexdigest(),
        outcome=SealUse.Outcome.SEALED,
        detail=log_detail,
    )
    return signed.dump()


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
