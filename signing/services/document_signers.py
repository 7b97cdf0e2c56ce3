"""Document-signer keys for signed QR codes: made, rotated and revoked per issuing authority, and
used to sign a permit's claims (``signing.qr_payload``). The seal keys are not touched: a QR code is
signed with its own P-256 key, certified by the platform's seal CA."""

from __future__ import annotations

import datetime as dt
import logging

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import qr_payload
from ..models import DocumentSigner, IssuingAuthority, Permit
from ..pki import Pki

logger = logging.getLogger(__name__)

# The published trust list is cached under this key until the next is due or anything in it changes.
TRUST_LIST_CACHE_KEY = "signing:trust-list"


def trust_list_invalidate() -> None:
    """Something the trust list says changed (a key, a permit's status): the next request makes a new one."""
    transaction.on_commit(lambda: cache.delete(TRUST_LIST_CACHE_KEY))


# A holder's on-screen code lives this long: a screenshot shown later reads "code expired".
DYNAMIC_CODE_SECONDS = 5 * 60


def _certificate(signer: DocumentSigner) -> x509.Certificate:
    return x509.load_pem_x509_certificate(signer.certificate_pem.encode())


@transaction.atomic
def document_signer_create(*, authority: IssuingAuthority, pki: Pki | None = None) -> DocumentSigner:
    """A new active key for ``authority``; its previous active key is retired (its codes still check
    until its certificate ends)."""
    pki = pki or Pki.default()
    label = f"{authority.code}-{timezone.now():%Y%m%d%H%M%S%f}"
    cert, key_ref = pki.issue_document_signer(label=label, authority_code=authority.code, authority_name=authority.name)
    now = timezone.now()
    DocumentSigner.objects.select_for_update().filter(authority=authority, status=DocumentSigner.Status.ACTIVE).update(
        status=DocumentSigner.Status.RETIRED, status_changed_at=now
    )
    signer = DocumentSigner.objects.create(
        authority=authority,
        kid=qr_payload.key_id(cert).hex(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        key_ref=key_ref,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )
    logger.info("Document signer %s made for %s", signer.kid, authority.code)
    trust_list_invalidate()  # the list names its signers
    return signer


def _usable(authority: IssuingAuthority) -> DocumentSigner | None:
    return DocumentSigner.objects.filter(
        authority=authority,
        status=DocumentSigner.Status.ACTIVE,
        not_after__gt=timezone.now() + dt.timedelta(days=1),
    ).first()


def document_signer_for(*, authority: IssuingAuthority, pki: Pki | None = None) -> DocumentSigner:
    """The authority's active key, made on first use or when the active one has run out. Two first
    uses at once make one key: the second waits on the authority's row and then finds the first's
    (without the lock it would find none, retire the first's and make a second)."""
    signer = _usable(authority)
    if signer is not None:
        return signer
    with transaction.atomic():
        IssuingAuthority.objects.select_for_update().filter(pk=authority.pk).first()
        signer = _usable(authority)
        if signer is not None:
            return signer
        try:
            return document_signer_create(authority=authority, pki=pki)  # atomic: a savepoint inside this one
        except IntegrityError:  # where rows are not locked (SQLite): the other's insert won
            return DocumentSigner.objects.get(authority=authority, status=DocumentSigner.Status.ACTIVE)


@transaction.atomic
def document_signer_revoke(*, signer: DocumentSigner) -> DocumentSigner:
    """Take a key out of the trust list: nothing it signed checks any more (a compromised key)."""
    signer.status, signer.status_changed_at = DocumentSigner.Status.REVOKED, timezone.now()
    signer.save(update_fields=["status", "status_changed_at"])
    trust_list_invalidate()
    return signer


def sign_claims(
    *, authority: IssuingAuthority, claims: qr_payload.Claims, printed: bool = False, pki: Pki | None = None
) -> str:
    """``claims`` signed with ``authority``'s document signer; a ``printed`` code is kept small enough to
    scan at print size (``qr_payload.PRINTED_MAX_CHARS``: its free text is cut if need be)."""
    pki = pki or Pki.default()
    signer = document_signer_for(authority=authority, pki=pki)
    return qr_payload.encode(
        claims,
        private_key=pki.keys.load_private_key(signer.key_ref),
        certificate=_certificate(signer),
        max_chars=qr_payload.PRINTED_MAX_CHARS if printed else None,
    )


def document_signed_code(
    *,
    authority: IssuingAuthority,
    kind: str,
    number: str,
    holder: str = "",
    credit_code: str = "",
    matter: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    pki: Pki | None = None,
) -> str:
    """The signed code printed on a document the apps above seal (a provider's certificate, a
    delivery note): made before the file, so without its SHA-256, and without an end. ``authority``
    vouches for it: the platform for what the platform registers."""
    claims = qr_payload.Claims(
        kind=kind,
        number=number,
        holder=holder,
        credit_code=credit_code,
        matter=matter,
        valid_from=valid_from.isoformat() if valid_from else "",
        valid_until=valid_until.isoformat() if valid_until else "",
        issuer=authority.code,
        issued_at=int(timezone.now().timestamp()),
    )
    return sign_claims(authority=authority, claims=claims, printed=True, pki=pki)


def permit_claims(
    permit: Permit, *, expires: int | None = None, with_sha256: bool = False, with_authority: bool = True
) -> qr_payload.Claims:
    holder = permit.holder
    return qr_payload.Claims(
        kind="permit",
        number=permit.number,
        holder=holder.name_zh or holder.name,
        credit_code=holder.credit_code,
        matter=permit.matter,
        valid_from=permit.valid_from.isoformat(),
        valid_until=permit.valid_until.isoformat(),
        authority=(permit.authority.name_zh or permit.authority.name) if with_authority else "",
        sha256=permit.sha256 if with_sha256 else "",
        issuer=permit.authority.code,
        issued_at=int(timezone.now().timestamp()),
        expires=expires,
    )


def permit_signed_code(*, permit: Permit, dynamic: bool = False, pki: Pki | None = None) -> str:
    """The permit's signed code: for the holder's screen (``dynamic``), with the issued file's SHA-256
    and valid for DYNAMIC_CODE_SECONDS; otherwise without an end."""
    expires = int(timezone.now().timestamp()) + DYNAMIC_CODE_SECONDS if dynamic else None
    claims = permit_claims(permit, expires=expires, with_sha256=True)
    return sign_claims(authority=permit.authority, claims=claims, pki=pki)


def permit_printed_code(*, permit: Permit, pki: Pki | None = None) -> str:
    """The signed code printed on the permit itself: made before the file is, so without its SHA-256
    (the file cannot hold its own digest) and without an end (the validity dates are in it); the
    authority by its code only (the trust list names it), which keeps the printed code small."""
    return sign_claims(
        authority=permit.authority, claims=permit_claims(permit, with_authority=False), printed=True, pki=pki
    )
