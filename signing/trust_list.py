"""The trust list for offline verification: every document-signer certificate (authority, key id,
validity, status) and every suspended or revoked document (number, status, since), with when the
list was made and when the next is due, signed by the platform's own document signer (ES256 over
the exact JSON bytes, the signature as raw r||s, which WebCrypto verifies as it is).

Published at ``/.well-known/onewindow-trust-list.json``; made again hourly (a beat task) and on
every change to what it says (``trust_list_invalidate``). A verifier pins only the platform root:
the list's signer must chain to it and carry the platform's code as its organisational unit.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID
from django.core.cache import cache
from django.utils import timezone

from . import qr_payload
from .models import DocumentSigner, Permit
from .pki import Pki
from .services import document_signers
from .services.sealing import platform_authority
from .verification_sources import document_sources

FORMAT = "onewindow-trust-list/1"
REFRESH = dt.timedelta(hours=1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _not_in_force() -> list[dict]:
    """Suspended and revoked documents: permits, and what the apps above vouch for (certificates)."""
    permits = Permit.objects.filter(status__in=(Permit.Status.SUSPENDED, Permit.Status.REVOKED)).order_by("number")
    rows = [
        {
            "kind": "permit",
            "number": permit.number,
            "status": permit.status,
            "since": _iso(permit.status_changed_at or permit.issued_at),
        }
        for permit in permits
    ]
    for source in document_sources():
        if source.not_in_force is not None:
            rows += [
                {"kind": source.kind, "number": number, "status": status, "since": _iso(since)}
                for number, status, since in source.not_in_force()
            ]
    return rows


def trust_list_body(*, now: dt.datetime | None = None) -> dict:
    """What the list says. Each signer carries its certificate (a verifier with a PKI library checks
    it chains to the platform root) and its public key alone (``spki``, what WebCrypto imports)."""
    now = now or timezone.now()
    signers = DocumentSigner.objects.exclude(status=DocumentSigner.Status.REVOKED).select_related("authority")
    return {
        "format": FORMAT,
        "made_at": _iso(now),
        "next_due": _iso(now + REFRESH),
        "signers": [
            {
                "kid": signer.kid,
                "authority": signer.authority.name,
                "authority_code": signer.authority.code,
                "status": signer.status,
                "not_before": _iso(signer.not_before),
                "not_after": _iso(signer.not_after),
                **_key_material(signer),
            }
            for signer in signers
        ],
        "documents": _not_in_force(),
    }


def _key_material(signer: DocumentSigner) -> dict:
    certificate = x509.load_pem_x509_certificate(signer.certificate_pem.encode())
    return {
        "certificate": _b64(certificate.public_bytes(serialization.Encoding.DER)),
        "spki": _b64(
            certificate.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ),
    }


def trust_list_make(*, pki: Pki | None = None) -> dict:
    """A freshly signed list: {"payload", "signature", "certificate", "chain"} (base64url)."""
    pki = pki or Pki.default()
    signer = document_signers.document_signer_for(authority=platform_authority(), pki=pki)
    payload = json.dumps(trust_list_body(), ensure_ascii=False, separators=(",", ":")).encode()
    der = pki.keys.load_private_key(signer.key_ref).sign(payload, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    certificate = x509.load_pem_x509_certificate(signer.certificate_pem.encode())
    return {
        "payload": _b64(payload),
        "signature": _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")),
        "certificate": _b64(certificate.public_bytes(serialization.Encoding.DER)),
        "chain": [_b64(pki.certificate("seal-ca").public_bytes(serialization.Encoding.DER))],
    }


def trust_list_current() -> dict:
    """The published list: the cached one until it is due or something in it changed."""
    signed = cache.get(document_signers.TRUST_LIST_CACHE_KEY)
    if signed is None:
        signed = trust_list_make()
        cache.set(document_signers.TRUST_LIST_CACHE_KEY, signed, int(REFRESH.total_seconds()))
    return signed


class TrustListError(ValueError):
    """The list is not signed by the platform under the pinned root, or cannot be read."""


def trust_list_open(
    signed: dict, *, root: x509.Certificate, platform_code: str = "onewindow"
) -> tuple[dict, x509.Certificate]:
    """The list's content and the CA that certifies its signers, once its signature, its signer's
    chain to ``root`` and the signer being the platform's are checked; ``TrustListError`` otherwise."""
    try:
        payload, signature = _unb64(signed["payload"]), _unb64(signed["signature"])
        certificate = x509.load_der_x509_certificate(_unb64(signed["certificate"]))
        chain = [x509.load_der_x509_certificate(_unb64(item)) for item in signed.get("chain", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise TrustListError("unreadable trust list") from exc
    try:
        issuer = chain[0] if chain else root
        certificate.verify_directly_issued_by(issuer)
        if chain:
            chain[0].verify_directly_issued_by(root)
        certificate.public_key().verify(
            encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")),
            payload,
            ec.ECDSA(hashes.SHA256()),
        )
    except (InvalidSignature, ValueError, TypeError, IndexError) as exc:
        raise TrustListError("the trust list's signature does not check out") from exc
    if _ou(certificate) != [platform_code]:
        raise TrustListError("the trust list is not signed by the platform")
    content = json.loads(payload)
    if content.get("format") != FORMAT:
        raise TrustListError("not a OneWindow trust list")
    return content, issuer


def _ou(certificate: x509.Certificate) -> list[str]:
    return [a.value for a in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]


def verifier_inputs(content: dict, *, issuer: x509.Certificate) -> tuple[dict[bytes, qr_payload.Signer], dict]:
    """The signers by kid and the listed documents by number, as ``qr_payload.verify`` takes them. A
    signer counts only if ``issuer`` certified it for the authority the row names."""
    signers = {}
    for row in content["signers"]:
        certificate = x509.load_der_x509_certificate(_unb64(row["certificate"]))
        kid = qr_payload.key_id(certificate)
        try:
            certificate.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError):
            continue
        spki = certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if kid.hex() != row["kid"] or _ou(certificate) != [row["authority_code"]] or _unb64(row["spki"]) != spki:
            continue  # a row that does not match its own certificate is ignored, not trusted
        signers[kid] = qr_payload.Signer(
            kid=kid,
            certificate=certificate,
            authority=row["authority"],
            authority_code=row["authority_code"],
            status=row["status"],
        )
    documents = {row["number"]: row for row in content["documents"]}
    return signers, documents
