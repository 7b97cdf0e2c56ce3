"""The verifier's verdicts on real files: genuine, registry states, and the attacks it must catch.

Every file is generated here: a real PKI (tests/signing/pkifactory.py), a real PDF (reportlab),
real PAdES B-LTA sealing and real incremental updates with pyHanko. Nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from dataclasses import replace

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from signing.verification import RegistryRecord, TrustAnchors, Verdict, verify_pdf

from .pkifactory import TestPKI
from .sealfactory import plain_pdf, seal, validation_context

MAX_BYTES = 5 * 1024 * 1024
TODAY = dt.date(2026, 11, 30)


class MemoryRegistry:
    def __init__(self, *records: RegistryRecord, codes: dict[str, str] | None = None):
        self.records = {record.sha256: record for record in records}
        self.codes = codes or {}

    def find_by_sha256(self, digests):
        for digest in digests:
            if digest in self.records:
                return self.records[digest]
        return None

    def find_by_number(self, number, code):
        return next((r for r in self.records.values() if r.number == number and self.codes.get(r.number) == code), None)

    def find_by_token(self, token):
        return next((r for r in self.records.values() if r.token and r.token == token), None)


def record_for(pdf: bytes, **overrides) -> RegistryRecord:
    values = {
        "number": "DEMO-2026-000001",
        "kind": "permit",
        "status": "valid",
        "holder": "Jinghua New Materials Co., Ltd.",
        "issuer": "Demo Ecology and Environment Bureau",
        "valid_from": dt.date(2026, 1, 1),
        "valid_until": dt.date(2030, 12, 31),
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }
    values.update(overrides)
    return RegistryRecord(**values)


@pytest.fixture(scope="module")
def pki():
    return TestPKI()


@pytest.fixture(scope="module")
def trust(pki):
    return TrustAnchors(roots=(pki.root.asn1_cert,), crls=(pki.crl(),))


@pytest.fixture(scope="module")
def genuine(pki):
    return seal(plain_pdf(), pki)


def check(data: bytes, trust: TrustAnchors, *records: RegistryRecord):
    return verify_pdf(data, trust=trust, registry=MemoryRegistry(*records), max_bytes=MAX_BYTES, today=TODAY)


def incremental(data: bytes, change) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- genuine and registry states ---------------------------------------------------------------


def test_genuine_permit_is_valid_with_pades_b_lta_details(genuine, trust):
    report = check(genuine, trust, record_for(genuine))
    assert report.verdict is Verdict.VALID, report.reason
    assert report.matches_issued_document is True
    assert report.document.pages == 1
    seal_report = next(s for s in report.signatures if s.kind == "seal")
    assert seal_report.indication == "TOTAL_PASSED"
    assert seal_report.sub_indication is None
    assert seal_report.pades_level == "B-LTA"
    assert seal_report.certification == "no_changes"
    assert seal_report.coverage == "ENTIRE_REVISION"
    assert seal_report.modification_level == "LTA_UPDATES"
    assert seal_report.organisation == "Demo Ecology and Environment Bureau"
    assert "OneWindow Test Root CA" in seal_report.certificate_chain[0]
    assert "seal" in seal_report.certificate_chain[-1]
    assert seal_report.timestamp_time is not None
    assert any(s.kind == "document_timestamp" and s.indication == "TOTAL_PASSED" for s in report.signatures)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [("revoked", Verdict.REVOKED), ("suspended", Verdict.SUSPENDED), ("expired", Verdict.EXPIRED)],
)
def test_registry_status_decides_a_genuine_permit(genuine, trust, status, verdict):
    assert check(genuine, trust, record_for(genuine, status=status)).verdict is verdict


def test_permit_past_its_validity_is_expired_even_if_not_yet_marked(genuine, trust):
    report = check(genuine, trust, record_for(genuine, valid_until=TODAY - dt.timedelta(days=1)))
    assert report.verdict is Verdict.EXPIRED


def test_genuine_seal_on_a_document_the_registry_does_not_know_is_not_valid(genuine, trust):
    report = check(genuine, trust)
    assert report.verdict is Verdict.INDETERMINATE
    assert report.reason == "unknown_document"


def test_registry_matches_the_issued_file_when_the_holder_copy_has_a_later_timestamp(pki, genuine, trust):
    """A holder may refresh the LTV data (new DSS + document timestamp): still the issued document."""
    timestamper = DummyTimeStamper(tsa_cert=pki.tsa.asn1_cert, tsa_key=pki.tsa.asn1_key)
    out = io.BytesIO()
    signers.PdfTimeStamper(timestamper).update_archival_timestamp_chain(
        PdfFileReader(io.BytesIO(genuine)), validation_context(pki), output=out
    )
    refreshed = out.getvalue()
    assert len(refreshed) > len(genuine)
    report = check(refreshed, trust, record_for(genuine))
    assert report.verdict is Verdict.VALID, (report.reason, report.detail)
    assert report.matches_issued_document is True
    # The page must not claim "nothing was changed" beside a SHA-256 that is not the issued one.
    assert report.reason == "ok_maintained"
    assert report.document.sha256 != report.permit.sha256 == hashlib.sha256(genuine).hexdigest()


# --- tampering -----------------------------------------------------------------------------------


def test_a_byte_changed_inside_the_signed_range_is_tampered(genuine, trust):
    position = genuine.index(b"Seal")  # inside the signature dictionary's signed part
    tampered = genuine[:position] + b"Xeal" + genuine[position + 4 :]
    report = check(tampered, trust, record_for(genuine))
    assert report.verdict is Verdict.TAMPERED
    assert report.reason == "hash_mismatch"


def test_changed_page_text_is_tampered(trust, pki):
    sealed = seal(plain_pdf("Permit No. DEMO-2026-000777"), pki)
    position = sealed.index(b"000777")
    tampered = sealed[:position] + b"000778" + sealed[position + 6 :]
    report = check(tampered, trust, record_for(sealed))
    assert report.verdict is Verdict.TAMPERED
    assert report.reason == "hash_mismatch"


def overlay_page_content(writer):
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 40 Tf 72 500 Td (VALID UNTIL 2099) Tj ET")
    ref = writer.add_object(stream)
    contents = page["/Contents"]
    page["/Contents"] = (
        generic.ArrayObject([contents, ref]) if not isinstance(contents, generic.ArrayObject) else contents + [ref]
    )
    writer.update_container(page)


def add_annotation(writer):
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    annot = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/FreeText"),
            pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (72, 400, 400, 440)]),
            pdf_name("/Contents"): generic.TextStringObject("Validity extended to 2099"),
            pdf_name("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
        }
    )
    ref = writer.add_object(annot)
    annots = page.get("/Annots", generic.ArrayObject())
    page["/Annots"] = generic.ArrayObject([*annots, ref])
    writer.update_container(page)


def add_visible_signature_field(writer):
    fields.append_signature_field(writer, fields.SigFieldSpec("Second", box=(300, 100, 500, 160)))


def change_form_field(writer):
    acroform = writer.root["/AcroForm"]
    field = acroform["/Fields"][0].get_object()
    field["/TU"] = generic.TextStringObject("Approved by someone else")
    writer.update_container(field)


@pytest.mark.parametrize(
    "attack",
    [overlay_page_content, add_annotation, add_visible_signature_field, change_form_field],
    ids=["page-content-overlay", "annotation", "new-signature-field", "form-field-change"],
)
def test_incremental_update_after_sealing_is_tampered(genuine, trust, attack):
    attacked = incremental(genuine, attack)
    report = check(attacked, trust, record_for(genuine))
    assert report.verdict is Verdict.TAMPERED, (report.verdict, report.reason)
    assert report.reason == "modified_after_sealing"


def test_content_hidden_in_the_signature_gap_is_never_valid(genuine, trust):
    """Signature wrapping: bytes placed in the unsigned /Contents gap must not pass."""
    start = genuine.index(b"/Contents <") + len(b"/Contents <")
    end = genuine.index(b">", start)
    padding_start = genuine.rindex(b"00" * 32, start, end)
    payload = b">> endobj 99 0 obj (evil) endobj <<"
    wrapped = genuine[:padding_start] + payload + genuine[padding_start + len(payload) :]
    assert len(wrapped) == len(genuine)
    report = check(wrapped, trust, record_for(genuine))
    assert report.verdict is Verdict.TAMPERED
    assert report.reason == "signature_invalid"


def test_byte_range_with_a_gap_is_never_valid(genuine, trust):
    start = genuine.index(b"/ByteRange [") + len(b"/ByteRange [")
    end = genuine.index(b"]", start)
    numbers = [int(n) for n in genuine[start:end].split()]
    numbers[3] -= 10  # leave the last 10 bytes of the revision uncovered
    replacement = " ".join(str(n) for n in numbers).encode().ljust(end - start)
    gapped = genuine[:start] + replacement + genuine[end:]
    report = check(gapped, trust, record_for(genuine))
    assert report.verdict is Verdict.TAMPERED


# --- trust ---------------------------------------------------------------------------------------


def test_resealed_with_a_self_made_lookalike_certificate_is_untrusted(trust):
    impostor = TestPKI()  # same organisation name, its own root
    forged = seal(plain_pdf(), impostor)
    report = check(forged, trust, record_for(forged))
    assert report.verdict is Verdict.UNTRUSTED
    assert report.reason == "untrusted_signer"
    assert report.signatures[0].organisation == "Demo Ecology and Environment Bureau"


def test_untrusted_seal_on_an_unknown_document_is_not_valid(trust):
    forged = seal(plain_pdf("Some other document"), TestPKI(organisation="Nobody"))
    assert check(forged, trust).verdict is Verdict.UNTRUSTED


def test_seal_certificate_revoked_before_signing_time_is_untrusted():
    pki = TestPKI()
    sealed = seal(plain_pdf(), pki)  # sealed while the certificate was still good
    pki.revoke(pki.seal, pki.now - dt.timedelta(hours=1))  # ...but it had been revoked before
    trust = TrustAnchors(roots=(pki.root.asn1_cert,), crls=(pki.crl(),))
    report = check(sealed, trust, record_for(sealed))
    assert report.verdict is Verdict.UNTRUSTED
    assert report.reason == "certificate_revoked"


# --- not sealed and unreadable -------------------------------------------------------------------


def test_pdf_without_seal_is_not_sealed(trust):
    report = check(plain_pdf(), trust)
    assert report.verdict is Verdict.NOT_SEALED
    assert report.document.pages == 1


def encrypted_pdf() -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=StandardEncryption("secret", canPrint=0))
    pdf.drawString(72, 760, "Encrypted")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda g: b"", "empty"),
        (lambda g: os.urandom(4096), "not_pdf"),
        (lambda g: b"MZ\x90\x00 this is an executable renamed to permit.pdf", "not_pdf"),
        (lambda g: g[: len(g) // 2], None),
        (lambda g: g.replace(b"xref", b"xfer"), None),
        (lambda g: encrypted_pdf(), "encrypted"),
        (lambda g: b"%PDF-1.7\n" + b"\x00" * 100, "corrupt"),
    ],
    ids=["empty", "random-bytes", "renamed-executable", "truncated", "broken-xref", "encrypted", "header-only"],
)
def test_unreadable_inputs_are_classified_not_crashed(genuine, trust, make, reason):
    report = check(make(genuine), trust, record_for(genuine))
    assert report.verdict is Verdict.UNREADABLE, (report.verdict, report.reason)
    if reason:
        assert report.reason == reason


def test_upload_over_the_size_limit_is_unreadable(genuine, trust):
    report = verify_pdf(genuine, trust=trust, registry=MemoryRegistry(), max_bytes=len(genuine) - 1, today=TODAY)
    assert report.verdict is Verdict.UNREADABLE
    assert report.reason == "too_large"


def test_every_verdict_has_words_for_people():
    from signing.verification import REASONS, VERDICT_LABELS

    assert set(VERDICT_LABELS) == set(Verdict)
    assert all(str(text) for text in REASONS.values())


def test_unknown_registry_status_is_not_valid(genuine, trust):
    report = check(genuine, trust, replace(record_for(genuine), status="under_review"))
    assert report.verdict is Verdict.INDETERMINATE


def test_a_bug_in_the_analysis_is_indeterminate_never_valid_nor_a_crash(genuine, trust, monkeypatch):
    """Simulates a defect of ours (mocked: the step that judges trust raises
    an error no input should cause): the verdict says it cannot decide, nothing escapes."""
    from signing.verification import analysis

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug, not a property of the file")

    monkeypatch.setattr(analysis, "_trust_problem", broken)
    report = check(genuine, trust, record_for(genuine))
    assert (report.verdict, report.reason) == (Verdict.INDETERMINATE, "validation_failed")
    assert report.matches_issued_document is not True
