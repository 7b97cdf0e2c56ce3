"""Issuing authorities, their officers, seals (made, registered, imported, revoked) and grants."""

from __future__ import annotations

import logging

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import rendering
from ..engine import SealNotUsable, SigningError
from ..keystores import ENCRYPTED
from ..models import AuthorityMember, IssuingAuthority, Seal, SealGrant
from ..pki import Pki

logger = logging.getLogger(__name__)


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


def permit_seal_for(authority: IssuingAuthority) -> Seal:
    seal = authority.seals.filter(status=Seal.Status.ACTIVE).order_by("-created_at").first()
    if seal is None:
        raise SealNotUsable(_("%(authority)s has no active seal.") % {"authority": authority.name})
    return seal
