"""The sealing engine: PAdES sealing of PDFs with pyHanko, shaped like pyHanko itself.

This is the one public module of the signing machinery (see ``__all__``): frozen dataclasses
describe a request (:class:`SealRequest`, :class:`SealAppearance`) and its result
(:class:`SealResult`); the signer (from a key store), the timestamper and the validation context
are strategies injected into :class:`Sealer`. Errors leave only as :mod:`signing.exceptions`.

Why it is faster than a plain ``pyhanko.sign.signers.sign_pdf`` call (see ``bench/seal.py``):

* the key is loaded (and, for RSA, checked) once per batch by :class:`InMemorySigner`, where
  pyHanko's ``SimpleSigner`` reparses the PKCS#8 key for every signature;
* the signature container size is fixed from the certificate chain and timestamp size, so
  pyHanko does not sign a throw-away document first to estimate it; the dry run that remains
  (for B-LTA pyHanko still sizes the document timestamp) returns placeholder bytes without
  touching the key;
* the stamp image, PdfSignatureMetadata, validation context and CRLs are built once per batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from asn1crypto import cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import as_signing_certificate, simple_cms_attribute
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .exceptions import (
    ContractError,
    GrantRequired,
    KeyStoreConfigurationError,
    KeyStoreError,
    LogChainBroken,
    NotPermitted,
    PermitError,
    PkiError,
    SealingError,
    SealNotUsable,
    SigningError,
    TimestampError,
)
from .keystores import private_key_info

__all__ = [
    "ContractError",
    "DOCMDP_FORM_FILLING",
    "DOCMDP_NO_CHANGES",
    "EmptySignatureField",
    "GrantRequired",
    "InMemorySigner",
    "KeyStoreConfigurationError",
    "KeyStoreError",
    "Level",
    "LogChainBroken",
    "NotPermitted",
    "PermitError",
    "PkiError",
    "SealAppearance",
    "SealNotUsable",
    "SealRequest",
    "SealResult",
    "Sealer",
    "SealingError",
    "SigningError",
    "TimestampError",
    "local_timestamper",
    "platform_validation_context",
    "timestamper_from_settings",
]

logger = logging.getLogger(__name__)

Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]
DOCMDP_NO_CHANGES = 1
DOCMDP_FORM_FILLING = 2
_DOCMDP = {1: fields.MDPPerm.NO_CHANGES, 2: fields.MDPPerm.FILL_FORMS, 3: fields.MDPPerm.ANNOTATE}


@dataclass(frozen=True)
class SealAppearance:
    """Where the visible seal goes: page index and box in PDF points (x1, y1, x2, y2).

    ``box=None`` seals into a signature field the document already has (its widget decides
    where the stamp goes), as each party does on a contract the platform laid out.
    """

    box: tuple[float, float, float, float] | None
    page: int = 0
    stamp_png: bytes | None = None


@dataclass(frozen=True)
class EmptySignatureField:
    """A signature field created, unsigned, with the seal: room for a later party's seal.

    Fields must exist before a certification signature: after it, DocMDP lets later parties only
    fill fields in, not add visible ones.
    """

    name: str
    box: tuple[float, float, float, float]
    page: int = 0


@dataclass(frozen=True)
class SealRequest:
    pdf: bytes
    field_name: str = "OneWindowSeal"
    level: Level = "B-LTA"
    certify: bool = True
    docmdp: int = DOCMDP_NO_CHANGES
    reason: str = ""
    location: str = ""
    appearance: SealAppearance | None = None
    empty_fields: tuple[EmptySignatureField, ...] = ()


@dataclass(frozen=True)
class SealResult:
    pdf: bytes
    sha256: str
    level: Level
    sealed_at: dt.datetime
    signer_subject: str
    signer_serial: int


class InMemorySigner(Signer):
    """A pyHanko signer over a key already decrypted into memory, parsed once.

    ``dry_run`` (pyHanko's size estimate) returns placeholder bytes of the right length instead
    of signing.
    """

    def __init__(self, *, private_key, certificate: asn1_x509.Certificate, chain: Sequence[asn1_x509.Certificate]):
        self._key = private_key
        super().__init__(
            signing_cert=certificate,
            cert_registry=SimpleCertificateStore.from_certs(list(chain)),
            prefer_pss=False,
            embed_roots=True,
        )

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if isinstance(self._key, rsa.RSAPrivateKey):
            if dry_run:
                return bytes(self._key.key_size // 8)
            return self._key.sign(data, padding.PKCS1v15(), getattr(hashes, digest_algorithm.upper())())
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            if dry_run:
                return bytes(2 * ((self._key.key_size + 7) // 8) + 8)
            return self._key.sign(data, ec.ECDSA(getattr(hashes, digest_algorithm.upper())()))
        raise SealingError("Only RSA and ECDSA seal keys are supported.")


class LocalTimeStamper(DummyTimeStamper):
    """pyHanko's in-process RFC 3161 TSA with its key parsed once: ``DummyTimeStamper`` re-parses
    (and, being RSA, re-checks) the PKCS#8 key for every token, about 45 ms each, two tokens per
    B-LTA seal. The token is the same; only the parse moves to the constructor."""

    def __init__(self, *, tsa_key, **kwargs):
        super().__init__(tsa_key=private_key_info(tsa_key), **kwargs)
        self._key = tsa_key

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, at: dt.datetime):
        md = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        md.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": asn1_core.UTCTime(at)})),
                simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", md.finalize()),
            ]
        )
        if not isinstance(self._key, rsa.RSAPrivateKey):
            raise TimestampError("The local TSA signs with RSA only.")
        signature = self._key.sign(signed_attrs.dump(), padding.PKCS1v15(), get_pyca_cryptography_hash(md_algorithm))
        return signature, signed_attrs


def local_timestamper(pki) -> TimeStamper:
    """The platform's own RFC 3161 TSA, in process, with the ``init_pki`` TSA certificate."""
    cert, key = pki.tsa()
    return LocalTimeStamper(
        tsa_cert=cert,
        tsa_key=key,
        certs_to_embed=SimpleCertificateStore.from_certs([pki.seal_ca(), pki.root()]),
    )


def timestamper_from_settings(pki) -> TimeStamper:
    """``SIGNING_TSA_URL`` if set (production), else the local TSA."""
    from django.conf import settings

    url = getattr(settings, "SIGNING_TSA_URL", "")
    if url:
        return HTTPTimeStamper(url, timeout=getattr(settings, "SIGNING_TSA_TIMEOUT", 10))
    return local_timestamper(pki)


def platform_validation_context(pki, *, extra_roots=()) -> ValidationContext:
    """Trust the platform root; revocation from the locally known CRLs only (no network)."""
    return ValidationContext(
        trust_roots=[pki.root(), *extra_roots],
        other_certs=[pki.seal_ca()],
        crls=pki.crls(),
        allow_fetching=False,
        revocation_mode="hard-fail",
    )


@dataclass
class Sealer:
    """Seals PDFs with one signer; build one per batch and call :meth:`seal` for each document."""

    signer: Signer
    timestamper: TimeStamper | None = None
    validation_context: ValidationContext | None = None
    signature_size: int | None = None
    _stamp_cache: dict = field(default_factory=dict, repr=False)

    def _reserved(self, level: Level) -> int:
        if self.signature_size:
            return self.signature_size
        certs = [self.signer.signing_cert, *self.signer.cert_registry]
        size = sum(len(c.dump()) for c in certs) + 3072
        if level != "B-B":
            # The timestamp token embeds the TSA chain; the root and CA are shared with ours.
            size += 6144
        # pyHanko counts the reservation in hex digits: two per DER byte.
        return 2 * size

    def _stamp_style(self, png: bytes) -> StaticStampStyle:
        key = hashlib.sha256(png).digest()
        style = self._stamp_cache.get(key)
        if style is None:
            from PIL import Image

            image = Image.open(io.BytesIO(png))
            image.load()
            style = StaticStampStyle(background=PdfImage(image), border_width=0, background_opacity=1.0)
            self._stamp_cache[key] = style
        return style

    def seal(self, request: SealRequest) -> SealResult:
        if request.level != "B-B" and self.timestamper is None:
            raise SealingError(f"{request.level} needs a timestamp authority.")
        if request.level in ("B-LT", "B-LTA") and self.validation_context is None:
            raise SealingError(f"{request.level} needs a validation context for the revocation data.")
        meta = signers.PdfSignatureMetadata(
            field_name=request.field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            certify=request.certify,
            docmdp_permissions=_DOCMDP[request.docmdp],
            reason=request.reason or None,
            location=request.location or None,
            embed_validation_info=request.level in ("B-LT", "B-LTA"),
            use_pades_lta=request.level == "B-LTA",
            validation_context=self.validation_context if request.level in ("B-LT", "B-LTA") else None,
            signer_key_usage={"non_repudiation"},
        )
        stamp_style = None
        field_spec = None
        if request.appearance is not None:
            if request.appearance.box is not None:
                field_spec = fields.SigFieldSpec(
                    sig_field_name=request.field_name,
                    on_page=request.appearance.page,
                    box=request.appearance.box,
                )
            if request.appearance.stamp_png:
                stamp_style = self._stamp_style(request.appearance.stamp_png)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=self.signer,
            timestamper=self.timestamper if request.level != "B-B" else None,
            stamp_style=stamp_style,
            new_field_spec=field_spec,
        )
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(request.pdf), strict=False)
            for empty in request.empty_fields:
                fields.append_signature_field(
                    writer, fields.SigFieldSpec(sig_field_name=empty.name, on_page=empty.page, box=empty.box)
                )
            out = pdf_signer.sign_pdf(writer, bytes_reserved=self._reserved(request.level))
        except PdfError as exc:
            raise SealingError("The document is not a PDF pyHanko can seal.") from exc
        except PyHankoSigningError as exc:
            if "larger than expected" in str(exc) and not self.signature_size:
                # Our size estimate was too small for this chain: fall back to pyHanko's own.
                logger.warning("Signature size estimate too small; falling back to pyHanko's estimate.")
                self.signature_size = self._reserved(request.level) * 2
                return self.seal(request)
            raise SealingError("pyHanko could not seal the document.") from exc
        except (OSError, ValueError) as exc:
            # HTTPTimeStamper and the validator raise these for a TSA or revocation failure.
            raise TimestampError("The timestamp or revocation data could not be obtained.") from exc
        pdf = out.getvalue()
        cert = self.signer.signing_cert
        return SealResult(
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
            level=request.level,
            sealed_at=dt.datetime.now(dt.UTC),
            signer_subject=cert.subject.human_friendly,
            signer_serial=cert.serial_number,
        )
