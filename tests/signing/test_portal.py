"""The verification portal, the JSON API and the CLI, end to end through Django.

Trust anchors and the registry are supplied through the VERIFICATION_SOURCES setting (the same
seam production uses) from a real throw-away PKI and an in-memory registry.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from signing.verification import TrustAnchors

from .pkifactory import TestPKI
from .sealfactory import plain_pdf, seal
from .test_verification import MemoryRegistry, record_for

pytestmark = pytest.mark.django_db

CURRENT = {}


def current_sources():
    return CURRENT["trust"], CURRENT["registry"]


@pytest.fixture(scope="module")
def pki():
    return TestPKI()


@pytest.fixture(scope="module")
def genuine(pki):
    return seal(plain_pdf(), pki)


@pytest.fixture(autouse=True)
def sources(settings, pki, genuine):
    settings.VERIFICATION_SOURCES = "tests.signing.test_portal.current_sources"
    settings.VERIFY_ISOLATE = False  # isolation has its own tests; keep these fast
    CURRENT["trust"] = TrustAnchors(roots=(pki.root.asn1_cert,), crls=(pki.crl(),))
    CURRENT["registry"] = MemoryRegistry(
        record_for(genuine, token="tok-genuine-123", number="EEB-2026-000042"), codes={"EEB-2026-000042": "K7Q2MX"}
    )
    cache.clear()
    yield
    CURRENT.clear()


def upload(name: str, data: bytes, content_type: str = "application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def tampered_copy(pdf: bytes) -> bytes:
    position = pdf.index(b"Page 1")
    return pdf[:position] + b"Page 9" + pdf[position + 6 :]


# --- API -----------------------------------------------------------------------------------------


def test_api_reports_a_genuine_permit_as_valid_with_the_json_contract(client, genuine):
    response = client.post(reverse("signing:api-verify"), {"file": upload("permit.pdf", genuine)})
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "valid"
    assert set(body) >= {"verdict", "label", "reason", "message", "signatures", "document", "permit", "checked_at"}
    assert body["document"]["pages"] == 1
    assert len(body["document"]["sha256"]) == 64
    assert body["permit"]["number"] == "EEB-2026-000042"
    assert "token" not in body["permit"]
    seal_entry = body["signatures"][0]
    assert seal_entry["indication"] == "TOTAL_PASSED"
    assert seal_entry["pades_level"] == "B-LTA"
    assert {
        "signer",
        "organisation",
        "certificate_chain",
        "signing_time",
        "timestamp_time",
        "coverage",
        "modification_level",
        "sub_indication",
    } <= set(seal_entry)


def test_api_reports_a_tampered_copy(client, genuine):
    response = client.post(reverse("signing:api-verify"), {"file": upload("permit.pdf", tampered_copy(genuine))})
    assert response.status_code == 200
    assert response.json()["verdict"] == "tampered"


def test_api_needs_the_file_field(client):
    response = client.post(reverse("signing:api-verify"), {"document": "nothing"})
    assert response.status_code == 400
    assert response.json()["error"] == "missing_file"


def test_api_refuses_an_upload_over_the_limit_with_413(client, settings):
    settings.VERIFY_MAX_UPLOAD_BYTES = 1024
    response = client.post(reverse("signing:api-verify"), {"file": upload("big.pdf", b"%PDF-1.7" + b"0" * 200_000)})
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_api_is_rate_limited_per_address_with_a_clear_429(client, settings, genuine):
    settings.VERIFY_RATE_LIMIT_PER_MINUTE = 2
    for _ in range(2):
        assert client.post(reverse("signing:api-verify"), {"file": upload("p.pdf", b"not a pdf")}).status_code == 200
    response = client.post(reverse("signing:api-verify"), {"file": upload("p.pdf", b"not a pdf")})
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response["Retry-After"]) > 0
    other = client.post(reverse("signing:api-verify"), {"file": upload("p.pdf", b"not a pdf")}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200  # a different address has its own allowance


def test_permit_api_returns_the_registry_record_or_404(client):
    response = client.get(reverse("signing:api-permit", args=["tok-genuine-123"]))
    assert response.status_code == 200
    assert response.json()["status"] == "valid"
    missing = client.get(reverse("signing:api-permit", args=["nope"]))
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def test_api_never_answers_500_for_garbage(client):
    for data in [
        b"",
        b"%PDF-",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj trailer << /Root 1 0 R >>",
        b"\xff" * 999,
    ]:
        response = client.post(reverse("signing:api-verify"), {"file": upload("x.pdf", data)})
        assert response.status_code in (200, 400), data[:20]
        if response.status_code == 200:
            assert response.json()["verdict"] == "unreadable"


# --- portal --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "word"), [("en", "Genuine and in force"), ("zh-hans", "真实有效")])
def test_portal_shows_the_verdict_in_words_and_the_details(client, genuine, language, word):
    from django.utils import translation

    with translation.override(language):
        url = reverse("signing:verify")
    response = client.post(url, {"file": upload("permit.pdf", genuine)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-verdict="valid"' in html
    assert word in html
    assert "TOTAL_PASSED" in html and "B-LTA" in html and "EEB-2026-000042" in html


def test_portal_explains_a_tampered_copy(client, genuine):
    html = client.post(
        reverse("signing:verify"), {"file": upload("permit.pdf", tampered_copy(genuine))}
    ).content.decode()
    assert 'data-verdict="tampered"' in html
    assert "changed after it was sealed" in html


def test_portal_looks_up_number_and_code(client):
    ok = client.post(reverse("signing:verify"), {"number": "eeb-2026-000042", "code": "k7q2mx"})
    assert ok.status_code == 200
    assert "EEB-2026-000042" in ok.content.decode()
    wrong = client.post(reverse("signing:verify"), {"number": "EEB-2026-000042", "code": "WRONG1"})
    assert wrong.status_code == 404
    assert "No permit matches this number and verification code" in wrong.content.decode()


def test_portal_upload_without_file_is_a_form_error_not_a_crash(client):
    response = client.post(reverse("signing:verify"), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_exits_zero_only_for_valid(tmp_path, genuine, capsys):
    good = tmp_path / "good.pdf"
    good.write_bytes(genuine)
    call_command("verify_pdf", str(good))
    assert "VALID" in capsys.readouterr().out

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(tampered_copy(genuine))
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_pdf", str(bad), "--json")
    assert exit_info.value.code == 1
    assert json.loads(capsys.readouterr().out)["verdict"] == "tampered"


def test_cli_reports_a_missing_file_as_an_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("verify_pdf", str(tmp_path / "absent.pdf"))


def test_nothing_uploaded_is_kept(client, genuine, settings, tmp_path):
    before = set(tmp_path.rglob("*"))
    client.post(reverse("signing:api-verify"), {"file": upload("permit.pdf", genuine)})
    assert set(tmp_path.rglob("*")) == before
    assert io  # the upload is read in memory and discarded with the request


# --- where a file differs from the issued one -----------------------------------------------------


def forged_title(pdf: bytes) -> bytes:
    """The issued permit plus an incremental update that changes only the document's /Title."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    info = writer.trailer["/Info"]
    info["/Title"] = generic.TextStringObject("Permit valid until 2099")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def refreshed_timestamp(pdf: bytes, pki) -> bytes:
    """The issued permit plus genuine signature maintenance: a fresher DSS and document timestamp."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from .sealfactory import validation_context

    out = io.BytesIO()
    signers.PdfTimeStamper(
        DummyTimeStamper(tsa_cert=pki.tsa.asn1_cert, tsa_key=pki.tsa.asn1_key)
    ).update_archival_timestamp_chain(PdfFileReader(io.BytesIO(pdf)), validation_context(pki), output=out)
    return out.getvalue()


def test_api_says_which_revision_and_object_an_update_after_issue_changed(client, genuine):
    response = client.post(reverse("signing:api-verify"), {"file": upload("permit.pdf", forged_title(genuine))})
    body = response.json()
    assert body["verdict"] == "tampered"
    assert body["reason"] == "modified_after_sealing"
    assert body["matches_issued_document"] is False
    # The issued permit has 4 revisions (document, seal, document timestamp, its DSS); the forgery is the 5th.
    assert body["change"] == {"code": "info", "revision": 5, "objects": ["5 0"], "keys": ["/Title"], "size": 0}
    assert "Revision 5" in body["detail"] and "/Title" in body["detail"]
    assert body["permit"]["number"] == "EEB-2026-000042"  # the document it was altered from


def test_api_names_bytes_appended_after_the_sealed_file(client, genuine):
    body = client.post(reverse("signing:api-verify"), {"file": upload("permit.pdf", genuine + b"\n% ok\n")}).json()
    assert (body["verdict"], body["reason"]) == ("tampered", "trailing_bytes")
    assert body["change"]["size"] == 6
    assert body["detail"] == "6 bytes follow the end of the sealed file."


def test_tampered_page_never_claims_the_upload_is_the_issued_document(client, genuine):
    response = client.post(reverse("signing:verify"), {"file": upload("permit.pdf", forged_title(genuine))})
    page = response.content.decode()
    assert 'data-verdict="tampered"' in page
    assert 'data-change="info"' in page
    assert 'data-match="altered"' in page
    assert "nothing was changed" not in page
    assert "byte for byte" not in page


def test_maintained_copy_is_valid_and_the_page_shows_both_digests(client, genuine, pki):
    maintained = refreshed_timestamp(genuine, pki)
    response = client.post(reverse("signing:verify"), {"file": upload("permit.pdf", maintained)})
    page = response.content.decode()
    assert 'data-verdict="valid"' in page
    assert 'data-match="maintained"' in page
    assert "nothing was changed" not in page
    import hashlib

    assert hashlib.sha256(maintained).hexdigest() in page
    assert hashlib.sha256(genuine).hexdigest() in page  # the issued file's, labelled as such


def test_the_change_is_described_in_chinese_too(client, genuine):
    response = client.post(
        "/zh-hans" + reverse("signing:api-verify"), {"file": upload("permit.pdf", forged_title(genuine))}
    )
    detail = response.json()["detail"]
    assert "修订" in detail and "/Title" in detail


def test_cli_prints_where_the_file_was_changed(tmp_path, genuine):
    path = tmp_path / "permit.pdf"
    path.write_bytes(forged_title(genuine))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_pdf", str(path), stdout=out)
    assert exit_info.value.code == 1
    assert "TAMPERED" in out.getvalue() and "Revision 5" in out.getvalue()
