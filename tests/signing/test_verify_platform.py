"""Verification of permits the platform really issued: its PKI, its sealing path, its registry.

No injected sources here: VERIFICATION_SOURCES is the production default, reading the test PKI
(tests/conftest.py) and the permits table.
"""

import json
import shutil
import subprocess

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from signing import services

from .conftest import permit_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit(settings):
    settings.VERIFY_ISOLATE = False  # isolation has its own tests; keep these fast
    cache.clear()


def pdf_of(permit) -> bytes:
    return bytes(permit.document.pdf)


def upload(data: bytes):
    return SimpleUploadedFile("permit.pdf", data, content_type="application/pdf")


def verify(client, data: bytes) -> dict:
    response = client.post(reverse("signing:api-verify"), {"file": upload(data)})
    assert response.status_code == 200
    return response.json()


def test_issued_permit_verifies_as_valid(client, issued_permit):
    body = verify(client, pdf_of(issued_permit))
    assert body["verdict"] == "valid", body["reason"]
    assert body["permit"]["number"] == issued_permit.number
    assert body["matches_issued_document"] is True
    seal = next(sig for sig in body["signatures"] if sig["kind"] == "seal")
    assert seal["pades_level"] == "B-LTA"
    assert seal["certification"] == "no_changes"
    assert seal["organisation"]


@pytest.mark.parametrize(
    ("change", "verdict"),
    [(services.permit_suspend, "suspended"), (services.permit_revoke, "revoked")],
)
def test_registry_changes_are_reflected_at_once(client, issued_permit, granted_officer, change, verdict):
    change(permit=issued_permit, actor=granted_officer, reason="Inspection found violations")
    body = verify(client, pdf_of(issued_permit))
    assert body["verdict"] == verdict
    assert body["permit"]["status_reason"] == "Inspection found violations"


def test_a_copy_with_its_text_changed_is_tampered(client, issued_permit):
    data = pdf_of(issued_permit)
    position = data.index(b"/Type /Page") if b"/Type /Page" in data else len(data) // 3
    altered = data[:position] + bytes([data[position] ^ 1]) + data[position + 1 :]
    assert verify(client, altered)["verdict"] in {"tampered", "unreadable"}


def test_number_and_printed_code_find_the_permit(client, issued_permit):
    code = issued_permit.verification_code
    assert len(code) == 9 and code[4] == "-"
    response = client.post(reverse("signing:verify"), {"number": issued_permit.number, "code": code.lower()})
    assert response.status_code == 200
    assert issued_permit.number in response.content.decode()
    wrong = client.post(reverse("signing:verify"), {"number": issued_permit.number, "code": "0000-0000"})
    assert wrong.status_code == 404


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_verification_code_is_printed_on_the_permit(issued_permit, tmp_path):
    path = tmp_path / "permit.pdf"
    path.write_bytes(pdf_of(issued_permit))
    pdftotext = shutil.which("pdftotext")
    text = subprocess.run(  # noqa: S603 - fixed arguments
        [pdftotext, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert issued_permit.verification_code in text


def test_qr_landing_compares_the_holders_pdf_with_the_record(
    client, authority, seal, granted_officer, holder, issued_permit
):
    landing = reverse("signing:permit-public", args=[issued_permit.token])
    page = client.get(landing)
    assert page.status_code == 200
    assert issued_permit.number in page.content.decode()

    same = client.post(landing, {"file": upload(pdf_of(issued_permit))}).content.decode()
    assert 'data-verdict="valid"' in same and 'data-compare="match"' in same

    other = services.permit_issue(authority=authority, actor=granted_officer, data=permit_data(holder))
    swapped = client.post(landing, {"file": upload(pdf_of(other))}).content.decode()
    assert 'data-compare="mismatch"' in swapped


def test_cli_exits_zero_for_an_issued_permit(issued_permit, tmp_path, capsys):
    path = tmp_path / "permit.pdf"
    path.write_bytes(pdf_of(issued_permit))
    call_command("verify_pdf", str(path), "--json")
    assert json.loads(capsys.readouterr().out)["verdict"] == "valid"


def report_id_from(html: str) -> str:
    marker = "/verify/report/"
    start = html.index(marker) + len(marker)
    return html[start : html.index("/", start)]


def test_sealed_verification_report_can_be_downloaded_and_verifies_itself(client, issued_permit, settings):
    from signing.demo import pki_init

    pki_init()  # the platform's own seal (and the demo authority's)
    result = client.post(reverse("signing:verify"), {"file": upload(pdf_of(issued_permit))})
    report_id = report_id_from(result.content.decode())

    response = client.post(reverse("signing:verify-report", args=[report_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    report_pdf = response.content

    body = verify(client, report_pdf)
    assert body["verdict"] == "valid", body["reason"]
    assert body["permit"]["kind"] == "verification_report"
    assert body["permit"]["number"] == report_id


def test_an_expired_or_unknown_report_id_is_explained(client):
    response = client.post(reverse("signing:verify-report", args=["0" * 32]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
