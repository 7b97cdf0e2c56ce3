"""Sealed and attacked PDFs for verification tests, made with pyHanko the way the platform seals.

Every file a verification test uses is generated here from a real PKI, a real PDF and real
pyHanko sealing: nothing is mocked.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from .pkifactory import Issued, TestPKI


def plain_pdf(text: str = "Permit No. DEMO-2026-000001", pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)  # readable streams, so tests can edit them
    for page in range(pages):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 760, text)
        pdf.drawString(72, 740, f"Page {page + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def validation_context(pki: TestPKI) -> ValidationContext:
    return ValidationContext(trust_roots=[pki.root.asn1_cert], crls=[pki.crl()], allow_fetching=False)


def seal(
    pdf: bytes,
    pki: TestPKI,
    *,
    sealer: Issued | None = None,
    lta: bool = True,
    certify: bool = True,
    docmdp=fields.MDPPerm.NO_CHANGES,
    field_name: str = "Seal",
) -> bytes:
    sealer = sealer or pki.seal
    registry = SimpleCertificateStore.from_certs([pki.root.asn1_cert])
    signer = signers.SimpleSigner(signing_cert=sealer.asn1_cert, signing_key=sealer.asn1_key, cert_registry=registry)
    timestamper = DummyTimeStamper(
        tsa_cert=pki.tsa.asn1_cert, tsa_key=pki.tsa.asn1_key, certs_to_embed=[pki.root.asn1_cert]
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=docmdp,
        embed_validation_info=lta,
        use_pades_lta=lta,
        validation_context=validation_context(pki) if lta else None,
    )
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, timestamper=timestamper, output=out
    )
    return out.getvalue()
