"""Signed QR payloads that anyone can check offline, in the EU Digital COVID Certificate's shape:
CBOR claims, signed as COSE_Sign1 with ECDSA P-256 (ES256), zlib-compressed, Base45-encoded and
prefixed with ``OW1:``. Base45 uses exactly the QR code's alphanumeric alphabet, so the code stays
small (the DCC's reason for it).

Pure: no database. The issuer signs with a document-signer key (``signing.services.document_signers``);
a verifier checks a payload against the document-signer certificates of a trust list
(``signing.trust_list``) and the list's revoked and suspended documents.

Libraries (README says why): ``cbor2`` (CBOR, RFC 8949), ``pycose`` (COSE, RFC 9052), ``base45``
(RFC 9285).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass, field

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext as _
from pycose.algorithms import Es256
from pycose.headers import KID, Algorithm
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

from .exceptions import PermitError

PREFIX = "OW1:"
# CWT claim keys (RFC 8392) and the document claim, a private one as the DCC's hcert is.
ISSUER, EXPIRES, ISSUED_AT, DOCUMENT = 1, 4, 6, -70001
# What a document claim may say; short keys keep the code small.
FIELDS = {
    "k": "kind",
    "n": "number",
    "h": "holder",
    "c": "credit_code",
    "m": "matter",
    "f": "valid_from",
    "u": "valid_until",
    "a": "authority",
    "s": "sha256",
}
# Long text is cut to this many characters in the code (the registry keeps it whole), ending in CUT.
MAX_TEXT = 60
CUT = "…"
# A printed code is at most this long: the alphanumeric capacity of a version 14 QR code at error
# correction M (ISO/IEC 18004, table 7), so that at the 30 mm it is printed a module stays 0.4 mm
# wide (version 15, the most a code may be, would make it 0.39 mm). Sixty Chinese characters of
# holder and of matter would need version 18: ``encode`` shortens the free text until the code fits.
PRINTED_MAX_CHARS = 528
# The free text a code may shorten to fit, the longest first; the registry keeps it whole.
SHORTENABLE = ("matter", "holder", "authority")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + CUT


def key_id(certificate: x509.Certificate) -> bytes:
    """The first 8 bytes of the SHA-256 of the certificate's DER, as the DCC's kid."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()[:8]


@dataclass(frozen=True)
class Claims:
    kind: str
    number: str
    holder: str = ""
    credit_code: str = ""
    matter: str = ""
    valid_from: str = ""  # ISO dates
    valid_until: str = ""
    authority: str = ""
    sha256: str = ""  # of the issued file, when the code is made after the file (a dynamic code)
    issuer: str = ""  # the authority's code
    issued_at: int = 0  # seconds since the epoch
    expires: int | None = None  # a dynamic code's end

    def as_cbor(self) -> bytes:
        document = {}
        for short, name in FIELDS.items():
            value = getattr(self, name)
            if not value:
                continue
            if name == "sha256":
                value = bytes.fromhex(value)
            elif isinstance(value, str):
                value = _cut(value, MAX_TEXT)
            document[short] = value
        claims = {ISSUER: self.issuer, ISSUED_AT: self.issued_at, DOCUMENT: document}
        if self.expires is not None:
            claims[EXPIRES] = self.expires
        return cbor2.dumps(claims)

    @classmethod
    def from_cbor(cls, data: bytes) -> Claims:
        claims = cbor2.loads(data)
        document = claims[DOCUMENT]
        values = {}
        for short, name in FIELDS.items():
            if short in document:
                value = document[short]
                values[name] = value.hex() if name == "sha256" else str(value)
        return cls(
            issuer=str(claims.get(ISSUER, "")),
            issued_at=int(claims.get(ISSUED_AT, 0)),
            expires=int(claims[EXPIRES]) if EXPIRES in claims else None,
            **values,
        )


class CodeTooLarge(PermitError):
    """Even with its free text cut short, the claims do not fit the printed code's size: the document
    cannot be issued as it is (a bulk issuance records it against its row)."""


def encode(claims: Claims, *, private_key, certificate: x509.Certificate, max_chars: int | None = None) -> str:
    """``OW1:`` + Base45(zlib(COSE_Sign1(claims))), signed with a P-256 ``private_key``. With
    ``max_chars`` (``PRINTED_MAX_CHARS`` for a printed code), the longest free text (matter, holder,
    authority) is cut, ending in ``CUT``, until the code is no longer than that."""
    message = Sign1Message(phdr={Algorithm: Es256, KID: key_id(certificate)}, payload=b"")
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    message.key = EC2Key.from_pem_private_key(pem.decode())
    claims = dataclasses.replace(claims, **{name: _cut(getattr(claims, name), MAX_TEXT) for name in SHORTENABLE})
    while True:
        message.payload = claims.as_cbor()
        text = PREFIX + base45.b45encode(zlib.compress(message.encode(), 9)).decode()
        excess = len(text) - max_chars if max_chars else 0
        if excess <= 0:
            return text
        lengths = sorted(((len(getattr(claims, name)), name) for name in SHORTENABLE), reverse=True)
        (longest, name), (next_longest, _next) = lengths[0], lengths[1]
        if not longest:  # nothing left to cut: the number or the issuer's code is too long
            raise CodeTooLarge(
                _("The signed QR code of %(number)s is too large to print, even with its text shortened.")
                % {"number": claims.number}
            )
        body = getattr(claims, name).removesuffix(CUT)
        # A Chinese character takes about 4.5 Base45 characters: cut about as many as are over, but the
        # longest text no shorter than the next, so that each keeps a fair share.
        body = body[: max(0, len(body) - max(1, min(excess // 5, longest - next_longest)))]
        claims = dataclasses.replace(claims, **{name: body + CUT if body else ""})


# --- verifying ------------------------------------------------------------------------------------

VERDICTS = (
    "valid",
    "revoked",
    "suspended",
    "expired",  # the document's validity has ended
    "code_expired",  # a holder's on-screen code older than its few minutes: a replayed screenshot
    "tampered",
    "unknown_key",
    "signer_expired",
    "unreadable",
)
MAX_DECOMPRESSED = 8192


@dataclass(frozen=True)
class Signer:
    """A document-signer certificate as a trust list gives it."""

    kid: bytes
    certificate: x509.Certificate
    authority: str
    authority_code: str
    status: str = "active"  # active | retired (still checks what it signed) | revoked (checks nothing)


@dataclass(frozen=True)
class QrVerdict:
    verdict: str
    claims: Claims | None = None
    signer: Signer | None = None
    status_since: str = ""
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def is_valid(self) -> bool:
        return self.verdict == "valid"


def decode_unverified(text: str) -> tuple[Sign1Message, bytes]:
    """The COSE message and its kid, or ValueError: what the text says, before anyone vouches for it."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise ValueError("not a OneWindow signed code")
    inflater = zlib.decompressobj()
    raw = inflater.decompress(base45.b45decode(text[len(PREFIX) :]), MAX_DECOMPRESSED + 1)
    if len(raw) > MAX_DECOMPRESSED or inflater.unconsumed_tail:
        raise ValueError("too large")  # a compression bomb stops here
    message = Sign1Message.decode(raw)
    kid = message.phdr.get(KID) or message.uhdr.get(KID)
    if not isinstance(kid, bytes):
        raise ValueError("no key id")
    return message, kid


def decode_claims_unverified(text: str) -> Claims:
    """What a code says, unchecked (for the page that shows a code it just made)."""
    return Claims.from_cbor(decode_unverified(text)[0].payload)


def verify(
    text: str, *, signers: dict[bytes, Signer], revoked: dict[str, dict], now: dt.datetime | None = None
) -> QrVerdict:
    """Check a scanned payload offline. ``signers`` by kid; ``revoked`` by document number:
    {"status": "revoked" | "suspended", "since": iso}. Never raises for bad input."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        message, kid = decode_unverified(text)
    except Exception:  # base45, zlib, CBOR or COSE could not read it: a verdict, not an error
        return QrVerdict("unreadable")
    signer = signers.get(kid)
    if signer is None or signer.status == "revoked":
        return QrVerdict("unknown_key")
    if message.phdr.get(Algorithm) is not Es256:
        return QrVerdict("tampered", signer=signer)
    public = signer.certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    message.key = EC2Key.from_pem_public_key(public.decode())
    try:
        genuine = message.verify_signature()
    except Exception:
        genuine = False
    if not genuine:
        return QrVerdict("tampered", signer=signer)
    try:
        claims = Claims.from_cbor(message.payload)
    except Exception:
        return QrVerdict("unreadable", signer=signer)
    if claims.issuer != signer.authority_code:  # a key signs only for its own authority
        return QrVerdict("tampered", claims=claims, signer=signer)
    signed_at = dt.datetime.fromtimestamp(claims.issued_at, dt.UTC)
    cert = signer.certificate
    if not (cert.not_valid_before_utc <= signed_at <= cert.not_valid_after_utc):
        return QrVerdict("signer_expired", claims=claims, signer=signer)
    if claims.expires is not None and now.timestamp() > claims.expires:
        return QrVerdict("code_expired", claims=claims, signer=signer)
    listed = revoked.get(claims.number)
    if listed is not None and listed.get("status") in ("revoked", "suspended"):
        return QrVerdict(listed["status"], claims=claims, signer=signer, status_since=listed.get("since", ""))
    if claims.valid_until and claims.valid_until < now.date().isoformat():
        return QrVerdict("expired", claims=claims, signer=signer)
    return QrVerdict("valid", claims=claims, signer=signer)
