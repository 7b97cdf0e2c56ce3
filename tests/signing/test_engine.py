"""The sealed permit PDF, parsed and validated by pyHanko against the platform's trust root."""

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature, validate_pdf_timestamp

from signing.engine import Sealer, SealingError, SealRequest
from signing.pki import load_pem_chain

from .conftest import reader_for, trust_context

pytestmark = pytest.mark.django_db


def test_permit_pdf_is_pades_b_lta_certified_no_changes(issued_permit, pki):
    reader = reader_for(bytes(issued_permit.document.pdf))
    seal_sig, doc_ts = reader.embedded_signatures

    status = validate_pdf_signature(seal_sig, trust_context(pki))
    assert status.bottom_line, status.pretty_print_details()
    assert status.intact and status.valid and status.trusted
    # Certification signature, DocMDP "no changes", and only LTA updates (DSS + doc timestamp) after it.
    assert seal_sig.docmdp_level == MDPPerm.NO_CHANGES
    assert status.docmdp_ok
    assert status.modification_level == ModificationLevel.LTA_UPDATES
    # Signature timestamp (B-T) from the platform TSA.
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted
    # PAdES signed attributes: ETSI.CAdES.detached with a signing-certificate-v2 attribute.
    assert seal_sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    signed_attr_types = {attr["type"].native for attr in seal_sig.signer_info["signed_attrs"]}
    assert "signing_certificate_v2" in signed_attr_types
    assert "signing_time" not in signed_attr_types  # PAdES baseline forbids it in the CMS

    # Revocation information in the DSS: CRLs of both CAs (B-LT).
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.crls) >= 2
    # Document timestamp over everything (B-LTA).
    assert doc_ts.sig_object_type == "/DocTimeStamp"
    assert validate_pdf_timestamp(doc_ts, trust_context(pki)).valid


def test_seal_certificate_has_seal_key_usage(seal):
    cert = load_pem_chain(seal.certificate_chain)[0]
    assert {"digital_signature", "non_repudiation"} <= set(cert.key_usage_value.native)
    assert isinstance(cert, asn1_x509.Certificate)


def test_a_changed_byte_breaks_the_seal(issued_permit, pki):
    pdf = bytearray(issued_permit.document.pdf)
    index = pdf.index(b"/Title")
    pdf[index + 10] ^= 0x01  # inside the signed byte range
    status = validate_pdf_signature(reader_for(bytes(pdf)).embedded_signatures[0], trust_context(pki))
    assert not status.intact and not status.bottom_line


def test_sealer_refuses_lta_without_timestamper(seal, pki):
    with pytest.raises(SealingError):
        Sealer(signer=object()).seal(SealRequest(pdf=b"%PDF-1.7", level="B-LTA"))


def test_sealer_wraps_pyhanko_errors_for_a_non_pdf(seal, pki):
    from signing.services import sealing_session

    with sealing_session(seal=seal, pki=pki) as sealer, pytest.raises(SealingError):
        sealer.seal(SealRequest(pdf=b"this is not a PDF", level="B-B"))


def test_a_certificate_revoked_on_the_crl_cannot_seal_at_b_lta(authority, pki):
    """The database still says active, but the CA has revoked the certificate: fail closed."""
    from signing import services

    seal = services.seal_create(authority=authority, name="Soon revoked", pki=pki)
    pki.revoke(serial=int(seal.certificate_serial), reason="compromised")
    with services.sealing_session(seal=seal, pki=pki) as sealer, pytest.raises(SealingError):
        sealer.seal(SealRequest(pdf=_blank_pdf(), level="B-LTA"))


def _blank_pdf() -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 700, "blank")
    c.showPage()
    c.save()
    return buf.getvalue()
